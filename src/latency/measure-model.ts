import * as tf from '@tensorflow/tfjs';
import { widthRulesFor } from '../backend/wasm-kernels/kernel-paths.js';
import { graphFingerprint } from '../cost/graph-fingerprint.js';
import { INTERPOLATION, interpolateLatency, LATENCY_TABLE_FORMAT, type LatencyTable, type LatencyTableLayer, type Timing } from '../cost/latency-table.js';
import type { ChannelAnalysis } from '../graph/channel-groups.js';
import { handlerFor } from '../graph/handlers/registry.js';
import { channelCount, type GraphNode } from '../graph/types.js';
import { calibrateTable } from './calibrate-table.js';
import { type LayerProbe, probeLayer } from './layer-probe.js';
import { sampleWidths, widthsForClasses } from './sample-widths.js';
import { inferenceRun, sampleModel } from './model-runs.js';
import { PAIR_WARMUP, type PairedProtocol, quartilesOf, sampleRoundRobin, type SteadyWarmup, summarizeSamples, type TimingProtocol, warmUntilSteady } from './timing.js';

export interface MeasureOptions {
  /** The model spec, recorded in the table (`zoo:cnn`, a path). */
  modelName: string;
  backend: string;
  threads?: number;
  batch: number;
  /** Sampled widths per axis (`sampleWidths`). */
  widthSamples: number;
  protocol: TimingProtocol;
  /** How the calibration structure is timed against the seed (`calibrateTable`); false: not calibrated. Default CALIBRATION_PROTOCOL. */
  calibration?: PairedProtocol | false;
  /** How long the model runs before anything is timed; default PROCESS_WARMUP. */
  warmup?: SteadyWarmup;
}

/** The calibration structure against the seed: warmed until steady (PAIR_WARMUP), then 31 pairs of samples of at least 2 ms. */
export const CALIBRATION_PROTOCOL: PairedProtocol = { warmup: 2, warmupMs: 20, pairs: 31, minSampleMs: 2, steady: PAIR_WARMUP };

export interface MeasureEvents {
  /** Before each layer is timed (0-based), and once more with index = total when all are. */
  layer?(index: number, total: number, name: string): void;
}

/** One timed point of a layer: its widths and the timing. */
export interface TimedPoint {
  inWidth: number;
  outWidth: number;
  timing: Timing;
}

function allFixed(analysis: ChannelAnalysis, nodeId: string | undefined): boolean {
  const components = nodeId === undefined ? undefined : analysis.outputComponents.get(nodeId);
  return !components || components.every((c) => analysis.componentFixed[c] === 1);
}

/** A layer to time: its node at these input channels (and output width, when the layer owns its channels). */
interface ProbeSpec {
  inputChannels: number[];
  outWidth?: number;
}

/**
 * A layer's probes timed round robin (`sampleRoundRobin`): a burst of slowness on the machine
 * costs each probe a sample, where timing one probe after another could lose one probe all of
 * them (the MNIST CNN's first conv once took 0.38 ms at 16 filters, against 0.02 at 8 and 24).
 */
function timeProbes(node: GraphNode, specs: ProbeSpec[], options: MeasureOptions): Array<{ outWidth: number; timing: Timing }> {
  const probes: LayerProbe[] = [];
  try {
    for (const spec of specs) probes.push(probeLayer(node, spec.inputChannels, options.batch, spec.outWidth));
    const samples = sampleRoundRobin(probes.map((probe) => probe.run), options.protocol);
    return probes.map((probe, i) => ({ outWidth: probe.outWidth, timing: summarizeSamples(samples[i]) }));
  } finally {
    for (const probe of probes) probe.dispose();
  }
}

/**
 * A FLOP layer (conv, depthwise, dense) on the grid of its input and output widths, each axis
 * sampled in every kernel-path class it can reach (`widthsForClasses`); an axis whose channels
 * are fixed, or a depthwise output (it follows the input), has one sample.
 */
function gridPoints(node: GraphNode, analysis: ChannelAnalysis, options: MeasureOptions): TimedPoint[] {
  const seedIn = channelCount(node.inputShapes[0]);
  const seedOut = channelCount(node.outputShape);
  const rules = widthRulesFor(options.backend, node.className);
  const inputFixed = allFixed(analysis, node.inputs[0]);
  const ownsOutput = Boolean(handlerFor(node.className)?.ownsChannels) && !allFixed(analysis, node.id);
  // A fixed axis stays at the seed's width, which can decide the other's classes (a 1-channel image: every result width runs XNNPACK).
  const inWidths = inputFixed ? [seedIn] : widthsForClasses(sampleWidths(seedIn, options.widthSamples), rules.input, ownsOutput ? undefined : seedOut);
  const outWidths = ownsOutput ? widthsForClasses(sampleWidths(seedOut, options.widthSamples), rules.output, inputFixed ? seedIn : undefined) : [seedOut];
  const otherInputs = node.inputShapes.slice(1).map(channelCount);
  const grid = inWidths.flatMap((inWidth) => outWidths.map((outWidth) => ({ inWidth, outWidth })));
  const timed = timeProbes(
    node,
    grid.map(({ inWidth, outWidth }) => ({ inputChannels: [inWidth, ...otherInputs], outWidth: ownsOutput ? outWidth : undefined })),
    options,
  );
  return grid.map((point, i) => ({ ...point, timing: timed[i].timing }));
}

/**
 * Any other layer (BN, activations, adds, pooling, concat, flatten) at sampled output widths,
 * every input's channels scaled by the same fraction; a layer with fixed channels, or a Reshape
 * (its config names the shape), at the seed's widths only.
 */
function scaledPoints(node: GraphNode, analysis: ChannelAnalysis, options: MeasureOptions): TimedPoint[] {
  const seedIn = channelCount(node.inputShapes[0]);
  const seedOut = channelCount(node.outputShape);
  const variable = !allFixed(analysis, node.id) && node.className !== 'Reshape';
  const targets = variable ? sampleWidths(seedOut, options.widthSamples) : [seedOut];
  const specs = targets.map((target) => ({
    inputChannels: node.inputShapes.map((shape) => (target === seedOut ? channelCount(shape) : Math.max(1, Math.round((channelCount(shape) * target) / seedOut)))),
  }));
  const points: TimedPoint[] = [];
  for (const { outWidth, timing } of timeProbes(node, specs, options)) {
    if (!points.some((p) => p.outWidth === outWidth)) points.push({ inWidth: seedIn, outWidth, timing });
  }
  return points.sort((a, b) => a.outWidth - b.outWidth);
}

/** Arranges timed points as the table's grid (rows: input widths, columns: output widths), with the width rules of the axes sampled along them. */
function tableLayer(node: GraphNode, points: TimedPoint[], backend: string): LatencyTableLayer {
  const inputWidths = [...new Set(points.map((p) => p.inWidth))].sort((a, b) => a - b);
  const outputWidths = [...new Set(points.map((p) => p.outWidth))].sort((a, b) => a - b);
  const at = (inWidth: number, outWidth: number) => points.find((p) => p.inWidth === inWidth && p.outWidth === outWidth)!.timing;
  const { input, output } = widthRulesFor(backend, node.className);
  const widthRules = { ...(input && inputWidths.length > 1 ? { input } : {}), ...(output && outputWidths.length > 1 ? { output } : {}) };
  return {
    name: node.id,
    className: node.className,
    inputShapes: node.inputShapes,
    outputShape: node.outputShape,
    inputWidths,
    outputWidths,
    medianMs: inputWidths.map((i) => outputWidths.map((o) => at(i, o).medianMs)),
    iqrMs: inputWidths.map((i) => outputWidths.map((o) => at(i, o).iqrMs)),
    ...(Object.keys(widthRules).length > 0 ? { widthRules } : {}),
  };
}

/** How the model is warmed up before the first layer is timed (`warmUntilSteady`): 1 to 10 s, until 3 chunks of 250 ms bring no new best. */
export const PROCESS_WARMUP: SteadyWarmup = { minMs: 1000, maxMs: 10000, chunkMs: 250, settledChunks: 3 };

/** The whole model's median over a short run: the machine's speed at that moment (`measureLatencyTable`). */
function referenceMs(model: tf.LayersModel, options: MeasureOptions): number {
  return quartilesOf(sampleModel(model, options.batch, { ...options.protocol, warmup: 1, warmupMs: 0, repeats: Math.min(5, options.protocol.repeats) })).medianMs;
}

/** Points' timings at the reference speed: times scaled by `factor` (the reference's median over its value when the points were timed). */
export const atReferenceSpeed = (points: TimedPoint[], factor: number): TimedPoint[] =>
  points.map((point) => ({ ...point, timing: { medianMs: point.timing.medianMs * factor, iqrMs: point.timing.iqrMs * factor } }));

/**
 * `morphnet latency`: times the whole model and every layer (one fresh layer per sampled width,
 * on random inputs) on the active backend, and returns the latency table.
 *
 * The machine's speed drifts while the layers are timed (on this project's 2-core VM the same
 * model took 3.8 ms and 5.4 ms a minute apart), so the whole model is also timed briefly before
 * the first layer and after each one: its reference timings. Each layer's times are scaled to
 * the reference speed, the median of the reference timings, by that median over the mean of the
 * two reference timings around the layer. The table's whole-model time is the median and
 * interquartile range of the reference timings, and the overhead is that median minus the sum
 * of the scaled layers' medians at the seed's widths. Then, unless `options.calibration` is
 * false, the table is calibrated on a second whole model (`calibrateTable`).
 */
export async function measureLatencyTable(model: tf.LayersModel, analysis: ChannelAnalysis, options: MeasureOptions, events: MeasureEvents = {}): Promise<LatencyTable> {
  const table = measureLayers(model, analysis, options, events);
  return options.calibration === false ? table : calibrateTable(table, model, analysis, options.calibration ?? CALIBRATION_PROTOCOL);
}

/** The table as the layers were timed alone, each scaled to the reference speed: not yet calibrated on a second whole model. */
function measureLayers(model: tf.LayersModel, analysis: ChannelAnalysis, options: MeasureOptions, events: MeasureEvents): LatencyTable {
  // The first inferences of a process are slow (JIT, kernel set-up): run the model until its speed settles before timing anything.
  const inference = inferenceRun(model, options.batch);
  warmUntilSteady(inference.run, options.warmup ?? PROCESS_WARMUP);
  inference.dispose();
  const references = [referenceMs(model, options)];
  const nodes = analysis.graph.nodes.filter((node) => node.className !== 'InputLayer');
  const timed = nodes.map((node, index) => {
    events.layer?.(index, nodes.length, node.id);
    const points = handlerFor(node.className)?.macTerms ? gridPoints(node, analysis, options) : scaledPoints(node, analysis, options);
    references.push(referenceMs(model, options));
    return { node, points, speedMs: (references[index] + references[index + 1]) / 2 };
  });
  events.layer?.(nodes.length, nodes.length, '');
  const whole = summarizeSamples(references);
  const layers = timed.map(({ node, points, speedMs }) => tableLayer(node, atReferenceSpeed(points, speedMs > 0 ? whole.medianMs / speedMs : 1), options.backend));
  const layersMs = layers.reduce((sum, layer, i) => sum + interpolateLatency(layer, channelCount(nodes[i].inputShapes[0]), channelCount(nodes[i].outputShape)), 0);
  return {
    format: LATENCY_TABLE_FORMAT,
    model: options.modelName,
    fingerprint: graphFingerprint(analysis.graph),
    backend: options.backend,
    ...(options.threads ? { threads: options.threads } : {}),
    batch: options.batch,
    tfjsVersion: tf.version.tfjs,
    measuredAt: new Date().toISOString(),
    protocol: {
      warmup: options.protocol.warmup,
      repeats: options.protocol.repeats,
      statistic: `median of ${options.protocol.repeats} samples after at least ${options.protocol.warmup} warm-up runs and ${options.protocol.warmupMs} ms, each sample the mean of back-to-back runs spanning at least ${options.protocol.minSampleMs} ms; spread: interquartile range; each layer scaled to the reference speed (the median of the whole model's ${nodes.length + 1} reference timings, one before the first layer and one after each)`,
      interpolation: INTERPOLATION,
    },
    whole,
    layersMs,
    overheadMs: whole.medianMs - layersMs,
    layers,
  };
}

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendRequest } from '../src/backend/select.js';
import { CostModel } from '../src/cost/cost-model.js';
import type { TableHardware } from '../src/cost/hardware.js';
import { measuredOn, type LatencyTable } from '../src/cost/latency-table.js';
import { seededRandom } from '../src/data/random.js';
import { analyzeChannels, type ChannelAnalysis } from '../src/graph/channel-groups.js';
import { buildLayerGraph } from '../src/graph/build-graph.js';
import { channelCount } from '../src/graph/types.js';
import { CALIBRATION_PROTOCOL, measureLatencyTable } from '../src/latency/measure-model.js';
import { sampleModel, sampleModelPaired } from '../src/latency/model-runs.js';
import { probeLayer } from '../src/latency/layer-probe.js';
import { DEFAULT_PROTOCOL, type PairedProtocol, quartilesOf, summarizeSamples, timeRuns, type TimingProtocol } from '../src/latency/timing.js';
import { buildZooModel, parseZooSpec } from '../src/model/zoo/registry.js';
import { roundWidths } from '../src/structure/round-widths.js';
import { aliveForWidths, type GroupWidths } from '../src/structure/width-multiplier.js';
import { rebuildModel } from '../src/surgery/rebuild.js';

/** The issue's models: the MNIST CNN, CIFAR ResNet-20, MobileNetV2 at width 0.35 (224x224, 1000 classes). */
export const LATENCY_BENCH_MODELS = ['cnn', 'resnet20', 'mobilenet-v2?width=0.35'];

/** What both latency benches measure tables with (`latency` and `latency-target`). */
export interface LatencyTableBenchOptions {
  models: string[];
  backend: BackendRequest;
  threads: number;
  batch: number;
  widthSamples: number;
  /** How the table's layers and whole model are timed. */
  protocol: TimingProtocol;
}

export interface LatencyBenchOptions extends LatencyTableBenchOptions {
  /** Where the measured tables are written (one per model). */
  outDir?: string;
  /** Also time each structure's layers alone at its own widths (`layersAloneMs`): splits the error into interpolation and additivity. */
  alone: boolean;
  /** Each structure is timed in pairs of samples with the seed's (`sampleModelPaired`). */
  paired: PairedProtocol;
}

export interface LatencyBenchCase {
  model: string;
  structure: string;
  /** The structure's FLOPs at batch 1. */
  flops: number;
  predictedMs: number;
  measuredMs: number;
  measuredIqrMs: number;
  /** (predicted - measured) / measured. */
  error: number;
  /** The seed's median in the pairs with this structure's samples (absent for the seed itself). */
  seedMeasuredMs?: number;
  /** The median of the per-pair ratios, structure over seed: its measured share of the seed's time. */
  measuredShare?: number;
  /**
   * The error as shares of the seed, each side against the seed at its own time:
   * (predicted / the seed's prediction) / measuredShare - 1. The machine's speed drifts by tens
   * of percent over minutes; this ratio does not feel it.
   */
  shareError?: number;
  /** The structure's layers timed alone at its widths, summed, plus the table's overhead: the prediction without interpolation. */
  aloneMs?: number;
}

export interface LatencyBenchResult {
  backend: string;
  threads?: number;
  batch: number;
  paired: PairedProtocol;
  tables: Array<{ model: string; seconds: number; wholeMs: number; overheadMs: number; path?: string }>;
  cases: LatencyBenchCase[];
}

/** Rounding that the bench checks: widths in multiples of this (as expand.roundTo builds them), within the unrounded structure's FLOPs. */
export const ROUND_TO = 8;

/**
 * Structures to predict and measure: the seed, every prunable group at 50%, random fractions in
 * [0.25, 1] and in [0.5, 1.5] (like an expanded shrink), and the latter rounded to multiples of
 * ROUND_TO (roundWidths: nearest multiples, then back down within its FLOPs; expand instead
 * searches the rounded widths), to ask whether rounding pays at the same FLOPs.
 */
function benchStructures(analysis: ChannelAnalysis, costModel: CostModel): Array<{ name: string; widths: GroupWidths }> {
  const scaled = (fraction: (g: number) => number) => analysis.groups.map((group) => (group.fixed ? group.width : Math.max(1, Math.round(group.width * fraction(group.id)))));
  const narrow = seededRandom(1);
  const wide = seededRandom(2);
  const expanded = scaled(() => 0.5 + wide());
  const flops = (widths: GroupWidths) => costModel.resource('flops', aliveForWidths(analysis, widths));
  const rounded = roundWidths(expanded, ROUND_TO, { fixed: analysis.groups.map((g) => g.fixed), cost: flops, budget: flops(expanded) });
  return [
    { name: 'seed', widths: scaled(() => 1) },
    { name: 'uniform 50%', widths: scaled(() => 0.5) },
    { name: 'random 25-100%', widths: scaled(() => 0.25 + 0.75 * narrow()) },
    { name: 'random 50-150%', widths: expanded },
    { name: `same, roundTo ${ROUND_TO}`, widths: rounded },
  ];
}

/**
 * A model's layers each timed alone at its own widths (a fresh copy on random inputs, as the
 * table times them), summed: what the table would predict if it had sampled exactly these widths.
 */
function layersAloneMs(model: tf.LayersModel, batch: number, protocol: TimingProtocol): number {
  let sum = 0;
  for (const node of buildLayerGraph(model).nodes.filter((n) => n.className !== 'InputLayer')) {
    const probe = probeLayer(node, node.inputShapes.map(channelCount), batch);
    try {
      sum += timeRuns(probe.run, protocol).medianMs;
    } finally {
      probe.dispose();
    }
  }
  return sum;
}

async function benchModel(spec: string, options: LatencyBenchOptions, backend: string, threads: number | undefined, result: LatencyBenchResult): Promise<void> {
  const { name, options: zooOptions } = parseZooSpec(spec);
  const seed: tf.LayersModel = buildZooModel(name, zooOptions);
  const analysis = analyzeChannels(buildLayerGraph(seed));
  const started = performance.now();
  const table: LatencyTable = await measureLatencyTable(seed, analysis, { modelName: `zoo:${spec}`, backend, threads, batch: options.batch, widthSamples: options.widthSamples, protocol: options.protocol });
  const seconds = (performance.now() - started) / 1000;
  let path: string | undefined;
  if (options.outDir) {
    mkdirSync(options.outDir, { recursive: true });
    path = join(options.outDir, `${spec.replace(/[^\w.-]+/g, '_')}-${backend}${threads ? `-${threads}t` : ''}.json`);
    writeFileSync(path, `${JSON.stringify(table, null, 2)}\n`);
  }
  result.tables.push({ model: spec, seconds, wholeMs: table.whole.medianMs, overheadMs: table.overheadMs, path });
  const hardware: TableHardware = { name: 'bench', path: path ?? '(in memory)', table };
  const costModel = new CostModel(analysis);
  const predict = (widths: GroupWidths) => costModel.resource('latency', aliveForWidths(analysis, widths), { hardware, batchSize: options.batch });
  const seedPredictedMs = predict(analysis.groups.map((group) => group.width));
  for (const structure of benchStructures(analysis, costModel)) {
    const predictedMs = predict(structure.widths);
    const flops = costModel.resource('flops', aliveForWidths(analysis, structure.widths));
    const isSeed = structure.name === 'seed';
    const model = isSeed ? seed : await rebuildModel(seed, analysis, structure.widths, 1);
    const paired = isSeed ? undefined : sampleModelPaired(model, seed, options.batch, options.paired);
    const measured = summarizeSamples(paired?.samples ?? sampleModel(seed, options.batch, options.protocol));
    const aloneMs = options.alone ? layersAloneMs(model, options.batch, options.protocol) + table.overheadMs : undefined;
    if (!isSeed) model.dispose();
    const error = (predictedMs - measured.medianMs) / measured.medianMs;
    const seedMeasuredMs = paired && quartilesOf(paired.referenceSamples).medianMs;
    const measuredShare = paired && quartilesOf(paired.ratios).medianMs;
    const shareError = measuredShare === undefined ? undefined : predictedMs / seedPredictedMs / measuredShare - 1;
    result.cases.push({
      model: spec,
      structure: structure.name,
      flops,
      predictedMs,
      measuredMs: measured.medianMs,
      measuredIqrMs: measured.iqrMs,
      error,
      ...(paired ? { seedMeasuredMs, measuredShare, shareError } : {}),
      ...(aloneMs !== undefined ? { aloneMs } : {}),
    });
  }
  seed.dispose();
}

/**
 * For each model: measures a latency table, then predicts each bench structure's whole-model
 * latency from it and measures the structure's own inference, on the same backend.
 */
export async function benchLatency(options: LatencyBenchOptions): Promise<LatencyBenchResult> {
  const choice = await initBackend(options.backend, options.threads);
  const result: LatencyBenchResult = { backend: choice.name, threads: choice.threads, batch: options.batch, paired: options.paired, tables: [], cases: [] };
  for (const spec of options.models) await benchModel(spec, options, choice.name, choice.threads, result);
  return result;
}

/** A structure against the seed, timed as a table's calibration structure is (so the two are read alike). */
export const BENCH_PAIRED_PROTOCOL: PairedProtocol = CALIBRATION_PROTOCOL;

export const DEFAULT_LATENCY_BENCH = { backend: 'wasm' as BackendRequest, threads: 2, batch: 1, widthSamples: 5, protocol: DEFAULT_PROTOCOL, paired: BENCH_PAIRED_PROTOCOL };

/** The bench's table: one line per model's table, then predicted vs measured per structure. */
export function printLatencyBench(result: LatencyBenchResult): void {
  console.log(`whole-model inference latency on ${measuredOn(result)}: predicted from the measured table vs measured (median, IQR)`);
  for (const t of result.tables) console.log(`  table of ${t.model}: measured in ${t.seconds.toFixed(0)} s, whole model ${t.wholeMs.toFixed(2)} ms, overhead ${t.overheadMs.toFixed(2)} ms${t.path ? ` (${t.path})` : ''}`);
  const percent = (error: number) => `${(100 * error).toFixed(1)}%`.padStart(7);
  console.log(`  ${'model'.padEnd(24)} ${'structure'.padEnd(16)} ${'MFLOPs'.padStart(8)} ${'predicted ms'.padStart(12)} ${'measured ms'.padStart(12)} ${'IQR'.padStart(7)} ${'error'.padStart(7)} ${'seed ms'.padStart(8)} ${'share err'.padStart(9)}   alone ms (error)`);
  for (const c of result.cases) {
    const mflops = (c.flops / 1e6).toFixed(1).padStart(8);
    const alone = c.aloneMs !== undefined ? `   ${c.aloneMs.toFixed(2).padStart(8)} (${percent((c.aloneMs - c.measuredMs) / c.measuredMs).trim()})` : '';
    const share = c.shareError !== undefined ? `${c.seedMeasuredMs!.toFixed(2).padStart(8)} ${percent(c.shareError).padStart(9)}` : `${''.padStart(8)} ${''.padStart(9)}`;
    console.log(`  ${c.model.padEnd(24)} ${c.structure.padEnd(16)} ${mflops} ${c.predictedMs.toFixed(2).padStart(12)} ${c.measuredMs.toFixed(2).padStart(12)} ${c.measuredIqrMs.toFixed(2).padStart(7)} ${percent(c.error)} ${share}${alone}`);
  }
  console.log(`  measured: ${result.paired.pairs} samples, each paired with one of the seed (seed ms); share err = (predicted / the seed's prediction) / (median per-pair ratio) - 1`);
  if (result.cases.some((c) => c.aloneMs !== undefined)) {
    console.log('  alone: the structure\'s layers timed alone at its own widths plus the table\'s overhead (predicted vs alone: interpolation; alone vs measured: layers that do not add up)');
  }
  for (const line of roundingLines(result.cases)) console.log(line);
}

/** Per model: what rounding the random 50-150% widths to ROUND_TO did to FLOPs and measured time. */
function roundingLines(cases: LatencyBenchCase[]): string[] {
  const percent = (after: number, before: number) => `${after >= before ? '+' : ''}${((100 * (after - before)) / before).toFixed(1)}%`;
  return [...new Set(cases.map((c) => c.model))].flatMap((model) => {
    const before = cases.find((c) => c.model === model && c.structure === 'random 50-150%');
    const after = cases.find((c) => c.model === model && c.structure === `same, roundTo ${ROUND_TO}`);
    if (!before || !after) return [];
    return [`  ${model}: widths rounded to ${ROUND_TO}: FLOPs ${percent(after.flops, before.flops)}, measured ${percent(after.measuredMs, before.measuredMs)}, predicted ${percent(after.predictedMs, before.predictedMs)}`];
  });
}

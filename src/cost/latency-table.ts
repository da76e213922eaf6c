import { widthClass, type WidthRule } from '../backend/wasm-kernels/kernel-paths.js';

/**
 * A measured latency table (`morphnet latency`): per layer, the median time at a grid of input
 * and output widths, read back by interpolation. An axis with one sample is a width the layer
 * keeps (fixed channels, or a depthwise layer's output, which follows its input): the time is
 * constant along it.
 *
 * Where the backend runs a layer by different kernel paths depending on its widths (wasm: a
 * convolution's result channels in whole tiles of 8, padded to 8 from 32 up, XNNPACK below 32;
 * kernel-paths.ts), the layer records its axes' width rules, and each axis is read within the
 * class of the queried width (`axisCurve`). Without a rule an axis is one class: piecewise
 * linear, as format 1 read every axis.
 */
export const LATENCY_TABLE_FORMAT = 'morphnet.latency/2';

export const INTERPOLATION =
  "per axis (output, then input) within the queried width's kernel-path class, at the width the kernel computes (padded widths priced padded): piecewise linear over the class's samples, a class with one sample scaled by the largest class's curve, a class without samples read from that curve; extended linearly past the ends (flat where the end segment falls), never below 0 ms";

/** A median over repeats and its interquartile range, in ms. */
export interface Timing {
  medianMs: number;
  iqrMs: number;
}

export interface LatencyTableLayer {
  name: string;
  className: string;
  /** Input shape(s) of the seed, batch first (null); the channel axis is the sampled one. */
  inputShapes: Array<Array<number | null>>;
  outputShape: Array<number | null>;
  /** Sampled widths of the first input's channels (the flattened size after Flatten), ascending. */
  inputWidths: number[];
  /** Sampled output widths, ascending. */
  outputWidths: number[];
  /** medianMs[i][o]: median time at inputWidths[i], outputWidths[o]. */
  medianMs: number[][];
  /** Interquartile range of the same samples. */
  iqrMs: number[][];
  /** How each axis's width picks the kernel path (kernel-paths.ts); absent: one class. */
  widthRules?: { input?: WidthRule; output?: WidthRule };
}

export interface LatencyTable {
  format: typeof LATENCY_TABLE_FORMAT;
  /** The model spec it was measured for (`zoo:cnn`, a path). */
  model: string;
  /** Hash of the seed's graph: layer names, classes and shapes (`graphFingerprint`). */
  fingerprint: string;
  backend: string;
  threads?: number;
  batch: number;
  tfjsVersion: string;
  measuredAt: string;
  protocol: { warmup: number; repeats: number; statistic: string; interpolation: string };
  /** The whole model at the seed's widths. */
  whole: Timing;
  /** Sum of the layers' medians at the seed's widths. */
  layersMs: number;
  /** whole.medianMs - layersMs: time outside the layers (dispatch, the model's own bookkeeping); may be negative. */
  overheadMs: number;
  layers: LatencyTableLayer[];
  /** How the layers' times were put on a second whole model (latency/calibrate-table.ts); absent in tables measured before. */
  calibration?: TableCalibration;
}

/**
 * A table's calibration on the whole model: a second structure rebuilt and timed in pairs with
 * the seed, and the one factor on every layer's time that makes the table predict it.
 */
export interface TableCalibration {
  /** The structure, in words. */
  structure: string;
  pairs: number;
  /** Its time as a share of the seed's: the median of the per-pair ratios. */
  measuredShare: number;
  /** What the table predicted for it before calibration, as a share of the seed's time. */
  uncalibratedShare: number;
  /** The factor on every layer's times (1 where not applied). */
  layerScale: number;
  /** false where the factor came out of range and the table was left as measured. */
  applied: boolean;
}

/** `wasm, 2 threads, batch 1`: what a table was measured on. */
export function measuredOn(table: Pick<LatencyTable, 'backend' | 'threads' | 'batch'>): string {
  const threads = table.threads ? `, ${table.threads} thread${table.threads === 1 ? '' : 's'}` : '';
  return `${table.backend}${threads}, batch ${table.batch}`;
}

/** Where x lies on a sampled axis: the segment [xs[i], xs[i + 1]] and the fraction t along it (outside [0, 1] past the ends). */
function locate(xs: number[], x: number): { i: number; t: number } {
  if (xs.length === 1) return { i: 0, t: 0 };
  let i = 0;
  while (i < xs.length - 2 && x >= xs[i + 1]) i++;
  return { i, t: (x - xs[i]) / (xs[i + 1] - xs[i]) };
}

/** a + t * (b - a); past the segment's ends (t outside [0, 1]) a falling segment extends flat: fewer channels never cost more there. */
function along(a: number, b: number, t: number): number {
  if (t < 0) return a + t * Math.max(0, b - a);
  if (t > 1) return b + (t - 1) * Math.max(0, b - a);
  return a + t * (b - a);
}

/** Points of a curve: distinct x ascending. */
interface Points {
  xs: number[];
  ys: number[];
}

/** Piecewise linear through the points, extended past the ends as `along` does; one point is a constant. */
function piecewise(points: Points, x: number): number {
  if (points.xs.length === 1) return points.ys[0];
  const { i, t } = locate(points.xs, x);
  return along(points.ys[i], points.ys[i + 1], t);
}

/** Adds (x, y) in order of x; two widths padded to one computed width keep the later, wider one's time (the seed's, where it shares a tile with a narrower sample). */
function addPoint(points: Points, x: number, y: number): void {
  const at = points.xs.indexOf(x);
  if (at >= 0) {
    points.ys[at] = y;
    return;
  }
  points.xs.push(x);
  points.ys.push(y);
}

/** An axis's samples (widths ascending) by width class, at their computed widths, the other axis at `otherWidth`. */
function samplesByClass(widths: number[], values: number[], rule: WidthRule | undefined, otherWidth: number): Map<string, Points> {
  const classes = new Map<string, Points>();
  widths.forEach((width, k) => {
    const { name, computedWidth } = widthClass(rule, width, otherWidth);
    if (!classes.has(name)) classes.set(name, { xs: [], ys: [] });
    addPoint(classes.get(name)!, computedWidth, values[k]);
  });
  return classes;
}

/** The curve other classes borrow their shape from: the class with the most samples (ties: the wider), or every sample when no class has two. */
function referencePoints(widths: number[], values: number[], rule: WidthRule | undefined, otherWidth: number, classes: Map<string, Points>): Points {
  let best: Points = { xs: [], ys: [] };
  for (const points of classes.values()) if (points.xs.length >= best.xs.length) best = points;
  if (best.xs.length >= 2) return best;
  const all: Points = { xs: [], ys: [] };
  widths.forEach((width, k) => addPoint(all, widthClass(rule, width, otherWidth).computedWidth, values[k]));
  return all;
}

/**
 * An axis's time as a function of the computed width, for the class of `width` (the other axis at
 * `otherWidth`): its own samples, two or more, piecewise linear; one sample, the reference curve
 * scaled through it (another path's speed, same shape); none, the reference curve itself. An axis
 * with one sample is a constant.
 */
function axisCurve(widths: number[], values: number[], rule: WidthRule | undefined, width: number, otherWidth: number): (computed: number) => number {
  if (widths.length === 1) return () => values[0];
  const classes = samplesByClass(widths, values, rule, otherWidth);
  const own = classes.get(widthClass(rule, width, otherWidth).name);
  if (own && own.xs.length >= 2) return (computed) => piecewise(own, computed);
  const reference = referencePoints(widths, values, rule, otherWidth, classes);
  const curve = (computed: number) => piecewise(reference, computed);
  if (!own) return curve;
  const atSample = curve(own.xs[0]);
  if (atSample > 0) return (computed) => (own.ys[0] * curve(computed)) / atSample;
  return (computed) => own.ys[0] + curve(computed) - atSample;
}

/**
 * A layer's time at these widths, each axis read within the class of its width, at its computed
 * width less `fewer` channels of that width's class: along the output axis in every input row
 * (classed with the row's input width), then along the input axis through the rows (classed with
 * the queried output width); bilinear where both axes are one class.
 */
function layerValue(layer: LatencyTableLayer, inWidth: number, outWidth: number, fewer: { input: number; output: number }): number {
  const rules = layer.widthRules ?? {};
  const rows = layer.medianMs.map((row, i) => {
    const rowInput = layer.inputWidths[i];
    const outComputed = widthClass(rules.output, outWidth, rowInput).computedWidth - fewer.output;
    return axisCurve(layer.outputWidths, row, rules.output, outWidth, rowInput)(outComputed);
  });
  const inComputed = widthClass(rules.input, inWidth, outWidth).computedWidth - fewer.input;
  return Math.max(0, axisCurve(layer.inputWidths, rows, rules.input, inWidth, outWidth)(inComputed));
}

/** Interpolated time of a layer at these widths, in ms (never negative). */
export function interpolateLatency(layer: LatencyTableLayer, inWidth: number, outWidth: number): number {
  return layerValue(layer, inWidth, outWidth, { input: 0, output: 0 });
}

/**
 * What one more channel costs at these widths, the latency regularizer's weights: the layer's
 * time minus its time with one input (output) channel fewer, both read on the curve of the
 * width's own class. So a channel at a class boundary is weighted by its class's slope, not by
 * the jump to the next class (32 result channels on wasm run convolution.wat, 31 XNNPACK: the
 * 32nd channel's weight is convolution.wat's time per channel), and a padded class's weight is
 * its time per computed channel (its tile's time spread over the tile's channels). Never below
 * 0: fewer channels never earn time. An axis with one sample costs nothing per channel.
 */
export function latencySlopes(layer: LatencyTableLayer, inWidth: number, outWidth: number): { perInput: number; perOutput: number } {
  const here = interpolateLatency(layer, inWidth, outWidth);
  const withFewer = (input: number, output: number) => Math.max(0, here - layerValue(layer, inWidth, outWidth, { input, output }));
  return {
    perInput: layer.inputWidths.length > 1 ? withFewer(1, 0) : 0,
    perOutput: layer.outputWidths.length > 1 ? withFewer(0, 1) : 0,
  };
}

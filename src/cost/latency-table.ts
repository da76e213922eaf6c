/**
 * A measured latency table (`morphnet latency`): per layer, the median time at a grid of input
 * and output widths, read back by interpolation. An axis with one sample is a width the layer
 * keeps (fixed channels, or a depthwise layer's output, which follows its input): the time is
 * constant along it.
 *
 * Interpolation is bilinear in (input width, output width) on the measured grid: piecewise
 * linear along each axis, extended linearly beyond the first and last samples with the end
 * segment's slope, or flat where that slope is negative (noise, or an unaligned end sample), and
 * never below 0 ms.
 */
export const LATENCY_TABLE_FORMAT = 'morphnet.latency/1';

export const INTERPOLATION = 'bilinear in (input width, output width) over the sampled grid, piecewise linear along each axis, extended linearly past its ends (flat where the end segment falls), never below 0 ms';

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

/** The value of a grid at (input width, output width), bilinear within a cell and past the grid's ends. */
function gridValue(layer: LatencyTableLayer, inWidth: number, outWidth: number): number {
  const row = locate(layer.inputWidths, inWidth);
  const column = locate(layer.outputWidths, outWidth);
  const at = (di: number, dj: number) => layer.medianMs[Math.min(row.i + di, layer.inputWidths.length - 1)][Math.min(column.i + dj, layer.outputWidths.length - 1)];
  return along(along(at(0, 0), at(0, 1), column.t), along(at(1, 0), at(1, 1), column.t), row.t);
}

/** Interpolated time of a layer at these widths, in ms (never negative). */
export function interpolateLatency(layer: LatencyTableLayer, inWidth: number, outWidth: number): number {
  return Math.max(0, gridValue(layer, inWidth, outWidth));
}

/**
 * What one more channel costs at these widths: the time of the layer minus its time with one
 * input (output) channel fewer, read from the interpolated table. An axis with one sample costs
 * nothing per channel. These are the latency regularizer's weights.
 */
export function latencySlopes(layer: LatencyTableLayer, inWidth: number, outWidth: number): { perInput: number; perOutput: number } {
  const here = interpolateLatency(layer, inWidth, outWidth);
  return {
    perInput: layer.inputWidths.length > 1 ? here - interpolateLatency(layer, inWidth - 1, outWidth) : 0,
    perOutput: layer.outputWidths.length > 1 ? here - interpolateLatency(layer, inWidth, outWidth - 1) : 0,
  };
}

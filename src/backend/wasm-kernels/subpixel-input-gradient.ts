import type { NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import type { ConvGeometry } from './conv-geometry.js';
import type { KernelScope } from './kernel-scope.js';

/**
 * One output phase along one axis: the input positions y = first + stride * j, j < count, all
 * take the filter taps a = phase + stride * t (t < taps), from dy[q - t] with q = qStart + j.
 */
interface AxisPhase {
  first: number;
  count: number;
  taps: number;
  /** Tap indices in the order a stride-1 correlation uses them (reversed). */
  tapIndices: number[];
  /** dy index read by output j = 0 for the first (reversed) tap. */
  readStart: number;
}

function axisPhases(inSize: number, filter: number, stride: number, padBefore: number): AxisPhase[] {
  const phases: AxisPhase[] = [];
  for (let first = 0; first < stride; first++) {
    const phase = (first + padBefore) % stride;
    const count = first < inSize ? Math.ceil((inSize - first) / stride) : 0;
    const taps = phase < filter ? Math.ceil((filter - phase) / stride) : 0;
    const qStart = (first + padBefore - phase) / stride;
    const tapIndices = Array.from({ length: taps }, (_, t) => phase + stride * (taps - 1 - t));
    phases.push({ first, count, taps, tapIndices, readStart: qStart - (taps - 1) });
  }
  return phases;
}

/**
 * The input gradient of a strided convolution without convolving zeros: the output splits into
 * stride x stride phases, each a stride-1 convolution of dy with the taps of the filter that reach
 * it (sub-pixel decomposition), interleaved back. Same FLOPs as the forward pass, where the
 * zero-insertion form costs stride^2 times more.
 *
 * `filter` is laid out for convolving dy: [kh, kw, dy channels, result channels] (the forward
 * filter with its channel axes swapped). Returns [N, H, W, result channels].
 */
export function subpixelInputGradient(
  scope: KernelScope,
  dy: TensorInfo,
  filter: TensorInfo,
  g: ConvGeometry,
  [batch, height, width]: number[],
): TensorInfo {
  const channels = filter.shape[3];
  const rows = axisPhases(height, g.filterHeight, g.strideHeight, g.padTop);
  const cols = axisPhases(width, g.filterWidth, g.strideWidth, g.padLeft);
  const perRow = Math.ceil(height / g.strideHeight);
  const perCol = Math.ceil(width / g.strideWidth);
  const rowBlocks: TensorInfo[] = [];
  for (const row of rows) {
    const colBlocks: TensorInfo[] = [];
    for (const col of cols) {
      const block = phaseOutput(scope, dy, filter, row, col, channels);
      // Every phase is padded to the same grid, then laid out as [N, rows, 1, cols, 1, channels].
      const padded = padTo(scope, block, [batch, perRow, perCol, channels]);
      colBlocks.push(scope.reshape(padded, [batch, perRow, 1, perCol, 1, channels]));
    }
    rowBlocks.push(colBlocks.length === 1 ? colBlocks[0] : concat(scope, colBlocks, 4));
  }
  const stacked = rowBlocks.length === 1 ? rowBlocks[0] : concat(scope, rowBlocks, 2);
  const interleaved = scope.reshape(stacked, [batch, perRow * g.strideHeight, perCol * g.strideWidth, channels]);
  return scope.cropTo(interleaved, [batch, height, width, channels]);
}

/** The stride-1 convolution of dy with one phase's taps, over that phase's output positions. */
function phaseOutput(
  scope: KernelScope,
  dy: TensorInfo,
  filter: TensorInfo,
  row: AxisPhase,
  col: AxisPhase,
  channels: number,
): TensorInfo {
  const [batch, outHeight, outWidth, outChannels] = dy.shape;
  const zeros = () => scope.run('Fill', {}, { shape: [batch, row.count, col.count, channels], value: 0, dtype: 'float32' } as unknown as NamedAttrMap);
  if (row.count === 0 || col.count === 0 || row.taps === 0 || col.taps === 0) return zeros();
  const taps = gatherTaps(scope, filter, row.tapIndices, col.tapIndices);
  // Read window along an axis: dy[readStart .. readStart + count + taps - 2], padded with zeros outside [0, size).
  const window = (phase: AxisPhase, size: number) => {
    const begin = Math.max(0, phase.readStart);
    const end = Math.min(size, phase.readStart + phase.count + phase.taps - 1);
    return { begin, size: Math.max(0, end - begin), before: begin - phase.readStart, after: phase.readStart + phase.count + phase.taps - 1 - Math.max(end, begin) };
  };
  const r = window(row, outHeight);
  const c = window(col, outWidth);
  if (r.size === 0 || c.size === 0) return zeros();
  const sliced = r.begin === 0 && c.begin === 0 && r.size === outHeight && c.size === outWidth ? dy : scope.run('Slice', { x: dy }, { begin: [0, r.begin, c.begin, 0], size: [batch, r.size, c.size, outChannels] });
  const attrs = {
    strides: [1, 1],
    dilations: [1, 1],
    pad: [[0, 0], [r.before, r.after], [c.before, c.after], [0, 0]],
    dataFormat: 'NHWC',
  } as unknown as NamedAttrMap;
  return scope.run('Conv2D', { x: sliced, filter: taps }, attrs);
}

/** The sub-filter [rows, cols, A, B] of the given tap indices. */
function gatherTaps(scope: KernelScope, filter: TensorInfo, rowTaps: number[], colTaps: number[]): TensorInfo {
  const [, , a, b] = filter.shape;
  const pieces: TensorInfo[] = [];
  for (const row of rowTaps) {
    for (const col of colTaps) pieces.push(scope.run('Slice', { x: filter }, { begin: [row, col, 0, 0], size: [1, 1, a, b] }));
  }
  const joined = pieces.length === 1 ? pieces[0] : concat(scope, pieces, 0);
  return scope.reshape(joined, [rowTaps.length, colTaps.length, a, b]);
}

/** wasm's Concat takes its inputs as an array. */
function concat(scope: KernelScope, tensors: TensorInfo[], axis: number): TensorInfo {
  return scope.run('Concat', tensors as unknown as Record<string, TensorInfo>, { axis });
}

/** Zero-pads the spatial axes at the end up to `shape`. */
function padTo(scope: KernelScope, x: TensorInfo, shape: number[]): TensorInfo {
  if (x.shape.every((size, axis) => size === shape[axis])) return x;
  const paddings = shape.map((size, axis) => [0, size - x.shape[axis]]);
  return scope.run('PadV2', { x }, { paddings, constantValue: 0 } as unknown as NamedAttrMap);
}

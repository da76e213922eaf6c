import type { KernelBackend, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { convGeometry, type ConvGeometry } from './conv-geometry.js';
import type { HeapBlocks, WasmBackend } from './heap-blocks.js';
import { PARALLEL_PASS_MIN_FLOATS, simdKernelsFor, splitRange, type SimdKernels } from './simd-kernels.js';

export type Shape4 = [number, number, number, number];

/** depthwise.wat works on 4 channels at a time. */
export const VECTOR = 4;

/**
 * A depthwise convolution of x [N, H, W, C] with a filter [kh, kw, C, M] as depthwise.wat runs it:
 * a channelwise convolution over C*M channels (x's channel c repeated M times), padded to Cp, a
 * multiple of 4. With M = 1 and C a multiple of 4, tensors are used in place, but for the
 * zero-padded copy a gathering pass reads (dw_forward_padded with 'same' or explicit padding).
 */
export interface Depthwise {
  backend: WasmBackend;
  kernels: SimdKernels;
  scratch: HeapBlocks;
  batch: number;
  channels: number;
  multiplier: number;
  paddedChannels: number;
  g: ConvGeometry;
}

/** The call's layout and geometry; its copies go to `scratch`. */
export function depthwise(backend: KernelBackend, scratch: HeapBlocks, xShape: number[], filterShape: number[], attrs: NamedAttrMap): Depthwise {
  const wasm = backend as WasmBackend;
  const [, , channels, multiplier] = filterShape;
  const g = convGeometry(xShape as Shape4, filterShape as Shape4, attrs as Record<string, unknown>, true);
  const paddedChannels = Math.ceil((channels * multiplier) / VECTOR) * VECTOR;
  return { backend: wasm, kernels: simdKernelsFor(wasm), scratch, batch: xShape[0], channels, multiplier, paddedChannels, g };
}

export const offset = (d: Depthwise, t: TensorInfo) => d.backend.getMemoryOffset(t.dataId);
export const inputRows = (d: Depthwise) => d.batch * d.g.inHeight * d.g.inWidth;
export const outputRows = (d: Depthwise) => d.batch * d.g.outHeight * d.g.outWidth;
export const taps = (d: Depthwise) => d.g.filterHeight * d.g.filterWidth;

/** expand_rows or contract_rows of depthwise.wat over `rows` rows, split between threads when large. */
function runRows(d: Depthwise, exportName: 'expand_rows' | 'contract_rows', [src, dst]: [number, number], rows: number, channels: number, multiplier: number): void {
  const threads = rows * d.paddedChannels < PARALLEL_PASS_MIN_FLOATS ? 1 : d.kernels.threads;
  const jobs = splitRange(rows, threads).map(([r0, r1]) => [src, dst, r0, r1, channels, multiplier, d.paddedChannels]);
  d.kernels.run('depthwise', exportName, jobs);
}

/**
 * `rows` rows of `channels` floats at `pointer` as Cp-channel rows, each channel repeated
 * `multiplier` times: the tensor itself when that changes nothing, else a copy in scratch.
 */
export function channelRows(d: Depthwise, pointer: number, rows: number, channels: number, multiplier: number): number {
  if (multiplier === 1 && channels === d.paddedChannels) return pointer;
  const copy = d.scratch.allocate(rows * d.paddedChannels * 4);
  runRows(d, 'expand_rows', [pointer, copy], rows, channels, multiplier);
  return copy;
}

/**
 * Where a result of `rows` rows is computed: in place (the tensor's rows are the kernel's
 * Cp-channel rows), or as Cp-channel rows in scratch that `finishResult` copies in.
 */
export function resultRows(d: Depthwise, result: TensorInfo, rows: number, inPlace: boolean): number {
  return inPlace ? offset(d, result) : d.scratch.allocate(rows * d.paddedChannels * 4);
}

/** Copies Cp-channel rows at `target` into the result's rows of `channels`: drops padding, and adds each group of `multiplier` partial sums. */
export function finishResult(d: Depthwise, target: number, result: TensorInfo, rows: number, channels: number, multiplier: number): void {
  if (target === offset(d, result)) return;
  runRows(d, 'contract_rows', [target, offset(d, result)], rows, channels, multiplier);
}

/** An image of samples laid out [N][height][width][Cp] on the heap. */
export interface Image {
  pointer: number;
  height: number;
  width: number;
}

/**
 * `source` ([N][height][width] of `channels` floats, each repeated `multiplier` times) placed at
 * row `top`, column `left` of a zero image at least `minimum` in size: the source itself when
 * that changes nothing, else a copy in scratch (pad_image of depthwise.wat).
 */
export function paddedImage(d: Depthwise, source: Image, channels: number, multiplier: number, [top, left]: [number, number], minimum: [number, number]): Image {
  const height = Math.max(top + source.height, minimum[0]);
  const width = Math.max(left + source.width, minimum[1]);
  const unchanged = height === source.height && width === source.width && multiplier === 1 && channels === d.paddedChannels;
  if (unchanged) return source;
  const pointer = d.scratch.allocate(d.batch * height * width * d.paddedChannels * 4);
  const words = [source.pointer, pointer, source.height, source.width, channels, multiplier, d.paddedChannels, height, width, top, left];
  const block = d.scratch.allocate(words.length * 4);
  d.scratch.ints().set(words, block / 4);
  const threads = d.batch * height * width * d.paddedChannels < PARALLEL_PASS_MIN_FLOATS ? 1 : d.kernels.threads;
  d.kernels.run('depthwise', 'pad_image', splitRange(d.batch, threads).map(([n0, n1]) => [block, n0, n1]));
  return { pointer, height, width };
}

/** A copy of Cp-channel filter rows with the taps in reverse order: the filter rotated 180 degrees. */
export function rotatedFilter(d: Depthwise, filterRows: number): number {
  const rows = taps(d);
  const rowFloats = d.paddedChannels;
  const copy = d.scratch.allocate(rows * rowFloats * 4);
  const floats = d.scratch.floats();
  for (let tap = 0; tap < rows; tap++) {
    const from = filterRows / 4 + tap * rowFloats;
    floats.copyWithin(copy / 4 + (rows - 1 - tap) * rowFloats, from, from + rowFloats);
  }
  return copy;
}

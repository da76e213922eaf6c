import { util, type KernelBackend, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs';
import { convGeometry, convolutionWords } from './conv-geometry.js';
import { writeNewTensor, type WasmBackend } from './heap-blocks.js';
import { simdKernelsFor, splitRange } from './simd-kernels.js';

type Shape4 = [number, number, number, number];

/** Floats the SIMD kernel may read past the end of x (input-channel tail) and of dy (output-channel tail). */
const X_OVERREAD = 3;
const DY_OVERREAD = 7;
const ROW_BLOCK_POSITIONS = 64;

/**
 * Output rows the kernel takes at once: enough for ~ROW_BLOCK_POSITIONS positions, so a tile of
 * dW is loaded and stored once per that many outer products, while their x and dy rows stay in cache.
 */
function rowsPerBlock(outWidth: number): number {
  return Math.max(1, Math.round(ROW_BLOCK_POSITIONS / outWidth));
}

/**
 * Splits the kernel's work (taps x 4-channel input tiles, each writing its own part of dW) into
 * one job per thread: by input tiles when there are enough, otherwise by taps.
 */
function filterGradientJobs(taps: number, channelTiles: number, threads: number): number[][] {
  if (channelTiles >= threads || taps < channelTiles) return splitRange(channelTiles, threads).map(([c0, c1]) => [0, taps, c0, c1]);
  return splitRange(taps, threads).map(([t0, t1]) => [t0, t1, 0, channelTiles]);
}

/**
 * dW[a,b,ci,co] = sum over n,i,j of x[n, i*s + a*d - pt, j*s + b*d - pl, ci] * dy[n,i,j,co],
 * by the SIMD kernel of filter-gradient.wat on the backend's heap: dW is accumulated in a
 * buffer padded to 4 input and 8 output channels (the output tensor itself when no padding
 * is needed).
 */
export function conv2DBackpropFilter(args: { inputs: Record<string, TensorInfo>; backend: KernelBackend; attrs: NamedAttrMap }): TensorInfo {
  const { x, dy } = args.inputs;
  const backend = args.backend as WasmBackend;
  const filterShape = args.attrs.filterShape as unknown as Shape4;
  const [kh, kw, inChannels, outChannels] = filterShape;
  const [batch] = x.shape;
  const g = convGeometry(x.shape as Shape4, filterShape, args.attrs, false);
  const kernels = simdKernelsFor(backend);
  const taps = kh * kw;
  const paddedIn = Math.ceil(inChannels / 4) * 4;
  const paddedOut = Math.ceil(outChannels / 8) * 8;
  return writeNewTensor(backend, filterShape, (out, scratch) => {
    const unpadded = paddedIn === inChannels && paddedOut === outChannels;
    const grad = unpadded ? backend.getMemoryOffset(out.dataId) : scratch.allocate(taps * paddedIn * paddedOut * 4);
    scratch.floats().fill(0, grad / 4, grad / 4 + taps * paddedIn * paddedOut);
    const xPointer = scratch.withSlack(backend.getMemoryOffset(x.dataId), util.sizeFromShape(x.shape) * 4, X_OVERREAD * 4);
    const dyPointer = scratch.withSlack(backend.getMemoryOffset(dy.dataId), util.sizeFromShape(dy.shape) * 4, DY_OVERREAD * 4);
    const words = [...convolutionWords([xPointer, dyPointer, grad], [batch, inChannels, outChannels], g), paddedIn, paddedOut, rowsPerBlock(g.outWidth)];
    const geometry = scratch.allocate(words.length * 4);
    scratch.ints().set(words, geometry / 4);
    const jobs = filterGradientJobs(taps, paddedIn / 4, kernels.threads);
    kernels.run('filter-gradient', 'filter_grad', jobs.map((job) => [geometry, ...job]));
    if (!unpadded) unpadChannels(scratch.floats(), grad, backend.getMemoryOffset(out.dataId), taps, [paddedIn, paddedOut], [inChannels, outChannels]);
  });
}

/** Copies [taps, paddedIn, paddedOut] floats at `from` to [taps, inChannels, outChannels] at `to`. */
function unpadChannels(floats: Float32Array, from: number, to: number, taps: number, padded: [number, number], real: [number, number]): void {
  let target = to / 4;
  for (let tap = 0; tap < taps; tap++) {
    for (let ci = 0; ci < real[0]; ci++) {
      const row = from / 4 + (tap * padded[0] + ci) * padded[1];
      floats.copyWithin(target, row, row + real[1]);
      target += real[1];
    }
  }
}

import { util, type KernelBackend, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs';
import { convGeometry, convolutionWords, padAfterFor, type ConvGeometry } from './conv-geometry.js';
import { writeNewTensor, type WasmBackend } from './heap-blocks.js';
import { withKernelScope, type KernelScope } from './kernel-scope.js';
import { simdKernelsFor, splitRange } from './simd-kernels.js';

type Shape4 = [number, number, number, number];

/**
 * The filter gradient of a convolution is itself a convolution: the input correlated with the
 * output gradient, where the forward stride becomes the dilation and the forward dilation the
 * stride. Returns the explicit padding and the extent of that "gradient convolution".
 */
function gradientConvPadding(g: ConvGeometry) {
  const extentHeight = (g.outHeight - 1) * g.strideHeight + 1;
  const extentWidth = (g.outWidth - 1) * g.strideWidth + 1;
  const padBottom = padAfterFor(g.inHeight, g.padTop, extentHeight, g.dilationHeight, g.filterHeight);
  const padRight = padAfterFor(g.inWidth, g.padLeft, extentWidth, g.dilationWidth, g.filterWidth);
  return [
    [0, 0],
    [g.padTop, padBottom],
    [g.padLeft, padRight],
    [0, 0],
  ];
}

function gradientConvAttrs(g: ConvGeometry): NamedAttrMap {
  return {
    strides: [g.dilationHeight, g.dilationWidth],
    dilations: [g.strideHeight, g.strideWidth],
    pad: gradientConvPadding(g),
    dataFormat: 'NHWC',
  } as unknown as NamedAttrMap;
}

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

/**
 * Depthwise: each (sample, channel) pair is its own group, so the gradient is one depthwise
 * convolution of x laid out as [1, H, W, N*C] with dy as an [Ho, Wo, N*C, M] filter, summed over N.
 */
export function depthwiseConv2dNativeBackpropFilter(args: {
  inputs: Record<string, TensorInfo>;
  backend: KernelBackend;
  attrs: NamedAttrMap;
}): TensorInfo {
  const { x, dy } = args.inputs;
  const filterShape = args.attrs.filterShape as unknown as Shape4;
  const [kh, kw, channels, multiplier] = filterShape;
  const [batch, height, width] = x.shape;
  const g = convGeometry(x.shape as Shape4, filterShape, args.attrs, true);
  return withKernelScope(args.backend, (scope: KernelScope) => {
    const xGrouped = scope.reshape(scope.transpose(x, [1, 2, 0, 3]), [1, height, width, batch * channels]);
    const dyGrouped = scope.reshape(scope.transpose(dy, [1, 2, 0, 3]), [g.outHeight, g.outWidth, batch * channels, multiplier]);
    const grad = scope.run('DepthwiseConv2dNative', { x: xGrouped, filter: dyGrouped }, gradientConvAttrs(g));
    const cropped = scope.cropTo(grad, [1, kh, kw, batch * channels * multiplier]);
    const perSample = scope.reshape(cropped, [kh, kw, batch, channels * multiplier]);
    const summed = batch === 1 ? perSample : scope.run('Sum', { x: perSample }, { axis: [2], keepDims: false });
    return scope.reshape(summed, filterShape);
  });
}

import type { KernelBackend, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { convGeometry, convolutionWords, type ConvGeometry } from './conv-geometry.js';
import {
  channelRows,
  depthwise,
  finishResult,
  inputRows,
  offset,
  outputRows,
  paddedImage,
  resultRows,
  rotatedFilter,
  taps,
  VECTOR,
  type Depthwise,
  type Image,
  type Shape4,
} from './depthwise-layout.js';
import { writeNewTensor, type WasmBackend } from './heap-blocks.js';
import { splitRange } from './simd-kernels.js';

type KernelArgs = { inputs: Record<string, TensorInfo>; backend: KernelBackend; attrs: NamedAttrMap };

/** One export of depthwise.wat over the given jobs ([n0, n1, v0, v1] each), with its geometry block. */
function sweep(d: Depthwise, exportName: string, pointers: [x: number, y: number, filter: number], jobs: number[][], g: ConvGeometry = d.g): void {
  const words = convolutionWords(pointers, [d.batch, d.paddedChannels, d.paddedChannels], g);
  const block = d.scratch.allocate(words.length * 4);
  d.scratch.ints().set(words, block / 4);
  d.kernels.run('depthwise', exportName, jobs.map((job) => [block, ...job]));
}

/** Rows and columns of input an output of `size` reads with the call's filter and dilation and these strides. */
function extentFor(d: Depthwise, size: [number, number], strides: [number, number]): [number, number] {
  const { g } = d;
  return [(size[0] - 1) * strides[0] + (g.filterHeight - 1) * g.dilationHeight + 1, (size[1] - 1) * strides[1] + (g.filterWidth - 1) * g.dilationWidth + 1];
}

/** dw_forward_padded: an output of `size` at `target` from a zero-padded image (no tap falls outside it). */
function gatherConvolution(d: Depthwise, image: Image, filterRows: number, target: number, size: [number, number], strides: [number, number]): void {
  const g: ConvGeometry = { ...d.g, inHeight: image.height, inWidth: image.width, outHeight: size[0], outWidth: size[1], strideHeight: strides[0], strideWidth: strides[1], padTop: 0, padLeft: 0 };
  sweep(d, 'dw_forward_padded', [image.pointer, target, filterRows], sampleJobs(d), g);
}

/** Jobs by samples when there are enough for every thread, else by 4-channel vectors. */
function sampleJobs(d: Depthwise): number[][] {
  const vectors = d.paddedChannels / VECTOR;
  if (d.batch >= d.kernels.threads) return splitRange(d.batch, d.kernels.threads).map(([n0, n1]) => [n0, n1, 0, vectors]);
  return channelJobs(d);
}

/** Jobs by 4-channel vectors, all samples each (the filter gradient sums over samples). */
function channelJobs(d: Depthwise): number[][] {
  return splitRange(d.paddedChannels / VECTOR, d.kernels.threads).map(([v0, v1]) => [0, d.batch, v0, v1]);
}

/**
 * DepthwiseConv2dNative: y[n, i, j, c*M + m] = sum over taps (a, b) of
 * x[n, i*sh + a*dh - pt, j*sw + b*dw - pl, c] * f[a, b, c, m], by depthwise.wat. NCHW goes to
 * the given kernel (XNNPACK's).
 */
export function makeDepthwiseKernel(xnnpack: KernelFunc): KernelFunc {
  return (kernelArgs) => {
    const args = kernelArgs as unknown as KernelArgs;
    if (args.attrs.dataFormat === 'NCHW') return xnnpack(kernelArgs);
    const { x, filter } = args.inputs;
    const [batch] = x.shape;
    const outChannels = filter.shape[2] * filter.shape[3];
    const g = convGeometry(x.shape as Shape4, filter.shape as Shape4, args.attrs as Record<string, unknown>, true);
    return writeNewTensor(args.backend as WasmBackend, [batch, g.outHeight, g.outWidth, outChannels], (result, scratch) => {
      const d = depthwise(args.backend, scratch, x.shape, filter.shape, args.attrs);
      const source = { pointer: offset(d, x), height: g.inHeight, width: g.inWidth };
      const filterRows = channelRows(d, offset(d, filter), taps(d), outChannels, 1);
      const target = resultRows(d, result, outputRows(d), outChannels === d.paddedChannels);
      const strides: [number, number] = [g.strideHeight, g.strideWidth];
      const image = paddedImage(d, source, d.channels, d.multiplier, [g.padTop, g.padLeft], extentFor(d, [g.outHeight, g.outWidth], strides));
      gatherConvolution(d, image, filterRows, target, [g.outHeight, g.outWidth], strides);
      finishResult(d, target, result, outputRows(d), outChannels, 1);
    });
  };
}

/** dx[n, h, w, c] = sum over m, taps and the positions they reach from (h, w) of dy[.., c*M + m] * f[a, b, c, m]. */
export function depthwiseInputGradient(kernelArgs: KernelArgs): TensorInfo {
  const { dy, filter } = kernelArgs.inputs;
  const inputShape = kernelArgs.attrs.inputShape as unknown as Shape4;
  const outChannels = filter.shape[2] * filter.shape[3];
  return writeNewTensor(kernelArgs.backend as WasmBackend, inputShape, (result, scratch) => {
    const d = depthwise(kernelArgs.backend, scratch, inputShape, filter.shape, kernelArgs.attrs);
    const filterRows = channelRows(d, offset(d, filter), taps(d), outChannels, 1);
    // With M > 1 the kernel computes one partial sum per output channel, added up after.
    const target = resultRows(d, result, inputRows(d), d.multiplier === 1 && d.channels === d.paddedChannels);
    const { g } = d;
    // Stride 1: a convolution of dy, padded by the filter's extent less the forward padding, with the rotated filter.
    const padBefore: [number, number] = [(g.filterHeight - 1) * g.dilationHeight - g.padTop, (g.filterWidth - 1) * g.dilationWidth - g.padLeft];
    if (g.strideHeight === 1 && g.strideWidth === 1 && padBefore[0] >= 0 && padBefore[1] >= 0) {
      const source = { pointer: offset(d, dy), height: g.outHeight, width: g.outWidth };
      const image = paddedImage(d, source, outChannels, 1, padBefore, extentFor(d, [g.inHeight, g.inWidth], [1, 1]));
      gatherConvolution(d, image, rotatedFilter(d, filterRows), target, [g.inHeight, g.inWidth], [1, 1]);
    } else {
      const dyRows = channelRows(d, offset(d, dy), outputRows(d), outChannels, 1);
      sweep(d, 'dw_input_grad', [target, dyRows, filterRows], sampleJobs(d));
    }
    finishResult(d, target, result, inputRows(d), d.channels, d.multiplier);
  });
}

/** df[a, b, c, m] = sum over n, i, j of x[n, i*sh + a*dh - pt, j*sw + b*dw - pl, c] * dy[n, i, j, c*M + m]. */
export function depthwiseFilterGradient(kernelArgs: KernelArgs): TensorInfo {
  const { x, dy } = kernelArgs.inputs;
  const filterShape = kernelArgs.attrs.filterShape as unknown as Shape4;
  const outChannels = filterShape[2] * filterShape[3];
  return writeNewTensor(kernelArgs.backend as WasmBackend, filterShape, (result, scratch) => {
    const d = depthwise(kernelArgs.backend, scratch, x.shape, filterShape, kernelArgs.attrs);
    const xRows = channelRows(d, offset(d, x), inputRows(d), d.channels, d.multiplier);
    const dyRows = channelRows(d, offset(d, dy), outputRows(d), outChannels, 1);
    const target = resultRows(d, result, taps(d), outChannels === d.paddedChannels);
    sweep(d, 'dw_filter_grad', [xRows, dyRows, target], channelJobs(d));
    finishResult(d, target, result, taps(d), outChannels, 1);
  });
}

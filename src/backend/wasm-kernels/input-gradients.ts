import type { KernelBackend, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { convGeometry, type ConvGeometry } from './conv-geometry.js';
import { withKernelScope, type KernelScope } from './kernel-scope.js';
import { simdInputGradient } from './simd-convolution.js';
import { subpixelInputGradient } from './subpixel-input-gradient.js';

type Shape4 = [number, number, number, number];

interface AxisPlan {
  cropBegin: number;
  cropSize: number;
  padBefore: number;
  padAfter: number;
}

/**
 * The input gradient is a stride-1 convolution of the zero-inserted output gradient with the
 * rotated filter. Along one axis: the zero-inserted gradient has length out*stride; it needs
 * (filter-1)*dilation - padBefore zeros before it and enough after it for `inSize` outputs.
 * A negative amount means cropping instead of padding.
 */
function axisPlan(inSize: number, outSize: number, filter: number, stride: number, dilation: number, padBefore: number): AxisPlan {
  const upsampledLength = outSize * stride;
  const before = (filter - 1) * dilation - padBefore;
  const after = inSize + (filter - 1) * dilation - before - upsampledLength;
  const cropBegin = Math.max(0, -before);
  const cropEnd = Math.max(0, -after);
  return {
    cropBegin,
    cropSize: upsampledLength - cropBegin - cropEnd,
    padBefore: Math.max(0, before),
    padAfter: Math.max(0, after),
  };
}

/** Inserts stride-1 zeros after every element of the spatial axes: [N,Ho,Wo,C] -> [N,Ho*sh,Wo*sw,C]. */
function insertZeros(scope: KernelScope, dy: TensorInfo, strideHeight: number, strideWidth: number): TensorInfo {
  if (strideHeight === 1 && strideWidth === 1) return dy;
  const [batch, height, width, channels] = dy.shape;
  const spread = scope.reshape(dy, [batch, height, 1, width, 1, channels]);
  const paddings = [[0, 0], [0, 0], [0, strideHeight - 1], [0, 0], [0, strideWidth - 1], [0, 0]];
  const padded = scope.run('PadV2', { x: spread }, { paddings, constantValue: 0 } as unknown as NamedAttrMap);
  return scope.reshape(padded, [batch, height * strideHeight, width * strideWidth, channels]);
}

/** Zero-inserted, cropped output gradient and the explicit padding of the stride-1 convolution. */
function prepareGradient(scope: KernelScope, dy: TensorInfo, g: ConvGeometry) {
  const rows = axisPlan(g.inHeight, g.outHeight, g.filterHeight, g.strideHeight, g.dilationHeight, g.padTop);
  const cols = axisPlan(g.inWidth, g.outWidth, g.filterWidth, g.strideWidth, g.dilationWidth, g.padLeft);
  const upsampled = insertZeros(scope, dy, g.strideHeight, g.strideWidth);
  const [batch, height, width, channels] = upsampled.shape;
  const needsCrop = rows.cropBegin > 0 || cols.cropBegin > 0 || rows.cropSize < height || cols.cropSize < width;
  const cropped = needsCrop
    ? scope.run('Slice', { x: upsampled }, { begin: [0, rows.cropBegin, cols.cropBegin, 0], size: [batch, rows.cropSize, cols.cropSize, channels] })
    : upsampled;
  const attrs = {
    strides: [1, 1],
    dilations: [g.dilationHeight, g.dilationWidth],
    pad: [[0, 0], [rows.padBefore, rows.padAfter], [cols.padBefore, cols.padAfter], [0, 0]],
    dataFormat: 'NHWC',
  } as unknown as NamedAttrMap;
  return { gradient: cropped, attrs };
}

/** Strided, undilated convolutions take the sub-pixel form; the rest convolve the zero-inserted gradient. */
function useSubpixel(g: ConvGeometry): boolean {
  return (g.strideHeight > 1 || g.strideWidth > 1) && g.dilationHeight === 1 && g.dilationWidth === 1;
}

export function conv2DBackpropInput(args: { inputs: Record<string, TensorInfo>; backend: KernelBackend; attrs: NamedAttrMap }): TensorInfo {
  const { dy, filter } = args.inputs;
  const inputShape = args.attrs.inputShape as unknown as Shape4;
  const g = convGeometry(inputShape, filter.shape as Shape4, args.attrs, false);
  const simd = simdInputGradient(args.backend, dy, filter, g, inputShape);
  if (simd) return simd;
  return withKernelScope(args.backend, (scope) => {
    if (useSubpixel(g)) return subpixelInputGradient(scope, dy, scope.transpose(filter, [0, 1, 3, 2]), g, inputShape);
    const { gradient, attrs } = prepareGradient(scope, dy, g);
    const rotated = scope.transpose(scope.run('Reverse', { x: filter }, { dims: [0, 1] }), [0, 1, 3, 2]);
    return scope.run('Conv2D', { x: gradient, filter: rotated }, attrs);
  });
}

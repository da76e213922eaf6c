import type { KernelBackend, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { convGeometry, padAfterFor, type ConvGeometry } from './conv-geometry.js';
import { withKernelScope, type KernelScope } from './kernel-scope.js';

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

/** dW[a,b,ci,co] = sum over n,i,j of x[n, i*s + a*d - pt, j*s + b*d - pl, ci] * dy[n,i,j,co]. */
export function conv2DBackpropFilter(args: { inputs: Record<string, TensorInfo>; backend: KernelBackend; attrs: NamedAttrMap }): TensorInfo {
  const { x, dy } = args.inputs;
  const filterShape = args.attrs.filterShape as unknown as Shape4;
  const [kh, kw, inChannels, outChannels] = filterShape;
  const g = convGeometry(x.shape as Shape4, filterShape, args.attrs, false);
  return withKernelScope(args.backend, (scope: KernelScope) => {
    const xByChannel = scope.transpose(x, [3, 1, 2, 0]); // [Ci, H, W, N]
    const dyAsFilter = scope.transpose(dy, [1, 2, 0, 3]); // [Ho, Wo, N, Co]
    const grad = scope.run('Conv2D', { x: xByChannel, filter: dyAsFilter }, gradientConvAttrs(g));
    const cropped = scope.cropTo(grad, [inChannels, kh, kw, outChannels]);
    return scope.transpose(cropped, [1, 2, 0, 3]);
  });
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

import { backend_util, type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs';

type Shape4 = [number, number, number, number];

/**
 * tfjs-backend-wasm 4.22 hands a 'same' convolution to XNNPACK with XNNPACK's own TensorFlow SAME
 * padding flag, and XNNPACK computes the total padding along an axis as an unsigned
 * (ceil(in / stride) - 1) * stride + (filter - 1) * dilation + 1 - in. Where that is negative
 * (TensorFlow clamps it to 0) it wraps to ~2^32, every tap lands in the padding, and the result is
 * all zeros (the bias alone when fused). Measured on Conv2D, FusedConv2D, DepthwiseConv2dNative and
 * FusedDepthwiseConv2D over filters 1-5 x 1-5, strides 1-3, inputs 5-10, dilation 1-2: wrong exactly
 * when the filter is not 1x1 (1x1 filters come out right, presumably on XNNPACK's GEMM path) and one
 * axis has a negative total, e.g. filter extent 1 with an even input at stride 2 (x [1,4,6,1], filter
 * [4,1,1,7], strides [1,2]: 3 * 2 + 1 - 6 = -1 along the width), or extent <= 2 at stride 3.
 */
export function sameTotalPadding(inSize: number, filterSize: number, stride: number, dilation: number): number {
  return (Math.ceil(inSize / stride) - 1) * stride + (filterSize - 1) * dilation + 1 - inSize;
}

/**
 * The attrs with a 'same' padding spelled out as the explicit amounts tfjs computes (total
 * clamped at 0, the odd one after), which XNNPACK takes as they are; the output shape is the
 * same. Other paddings and NCHW (which wasm refuses anyway) are returned unchanged.
 */
export function explicitSamePadding(x: TensorInfo, filter: TensorInfo, attrs: NamedAttrMap, depthwise: boolean): NamedAttrMap {
  if (attrs.pad !== 'same' || attrs.dataFormat === 'NCHW') return attrs;
  const info = backend_util.computeConv2DInfo(
    x.shape as Shape4,
    filter.shape as Shape4,
    attrs.strides as [number, number],
    (attrs.dilations ?? [1, 1]) as [number, number],
    'same',
    undefined,
    depthwise,
  );
  const { top, bottom, left, right } = info.padInfo;
  // No dimRoundingMode: with a clamped total, (in - extent) / stride + 1 is fractional and 'ceil' would add a row.
  return { ...attrs, pad: [[0, 0], [top, bottom], [left, right], [0, 0]], dimRoundingMode: undefined } as unknown as NamedAttrMap;
}

/** A wasm (XNNPACK) convolution kernel that receives 'same' padding as explicit amounts (see sameTotalPadding). */
export function withExplicitSamePadding(xnnpack: KernelFunc, depthwise: boolean): KernelFunc {
  return (kernelArgs) => {
    const { x, filter } = kernelArgs.inputs as Record<string, TensorInfo>;
    return xnnpack({ ...kernelArgs, attrs: explicitSamePadding(x, filter, kernelArgs.attrs ?? {}, depthwise) });
  };
}

import { backend_util } from '@tensorflow/tfjs';

/** Spatial geometry of one forward convolution, in the terms every gradient needs. */
export interface ConvGeometry {
  inHeight: number;
  inWidth: number;
  outHeight: number;
  outWidth: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  padTop: number;
  padLeft: number;
}

export function convGeometry(
  xShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  attrs: Record<string, unknown>,
  depthwise: boolean,
): ConvGeometry {
  const info = backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    attrs.strides as [number, number],
    (attrs.dilations ?? [1, 1]) as [number, number],
    attrs.pad as 'same' | 'valid',
    attrs.dimRoundingMode as 'floor' | undefined,
    depthwise,
  );
  return {
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    dilationHeight: info.dilationHeight,
    dilationWidth: info.dilationWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/**
 * The first 18 words of a SIMD convolution kernel's geometry block (filter-gradient.wat,
 * convolution.wat): the three tensors' heap offsets, then N, H, W, Ci, Ho, Wo, Co, kh, kw,
 * sh, sw, dh, dw, pt, pl.
 */
export function convolutionWords(
  pointers: [x: number, y: number, weights: number],
  [batch, inChannels, outChannels]: [number, number, number],
  g: ConvGeometry,
): number[] {
  return [
    ...pointers,
    batch,
    g.inHeight,
    g.inWidth,
    inChannels,
    g.outHeight,
    g.outWidth,
    outChannels,
    g.filterHeight,
    g.filterWidth,
    g.strideHeight,
    g.strideWidth,
    g.dilationHeight,
    g.dilationWidth,
    g.padTop,
    g.padLeft,
  ];
}

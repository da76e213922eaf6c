import { spatialSize, type GraphNode } from '../types.js';
import { INPUT_SLOTS, OUTPUT_SLOTS, pair, perOutput, type LayerHandler, type ResourceTerm, type ScoreKind, type WeightAxes } from './handler.js';

/** The bias of a layer that has one: one weight per output channel. */
const biasTerms = (node: GraphNode): ResourceTerm[] => (node.config.useBias === false ? [] : [perOutput(1)]);

/** The bias of a layer that has one, by its axis: it follows the output channels. */
const biasAxes = (node: GraphNode): Record<string, WeightAxes> => (node.config.useBias === false ? {} : { bias: { out: 0 } });

/** kh * kw of a layer's kernel. */
function kernelArea(node: GraphNode): number {
  const [kh, kw] = pair(node.config.kernelSize);
  return kh * kw;
}

/** The kernel scores the channels it creates under group-lasso (MorphNet's GroupLassoRegularizer). */
const kernelScoresGroupLasso = (weight: string) => (_node: GraphNode, kind: ScoreKind) => (kind === 'group-lasso' ? weight : undefined);

/** Conv2D: owns its output channels, kernel [kh, kw, in, out]; MACs = Ho*Wo*kh*kw*A_in*A_out. */
export const conv2D: LayerHandler = {
  ownsChannels: true,
  widthKey: 'filters',
  link: () => undefined,
  macTerms: (node) => [{ coefficient: spatialSize(node.outputShape) * kernelArea(node), kind: 'bilinear', in: INPUT_SLOTS, out: OUTPUT_SLOTS }],
  weightTerms: (node) => [{ coefficient: kernelArea(node), kind: 'bilinear', in: INPUT_SLOTS, out: OUTPUT_SLOTS }, ...biasTerms(node)],
  weightAxes: (node) => ({ kernel: { in: 2, out: 3 }, ...biasAxes(node) }),
  scoreSource: kernelScoresGroupLasso('kernel'),
};

/**
 * Conv2DTranspose: every input pixel is scattered through the kernel: MACs = Hin*Win*kh*kw*A_in*A_out.
 * tfjs stores its kernel as [kh, kw, out, in]: the output channels are axis 2, not the last.
 */
export const conv2DTranspose: LayerHandler = {
  ...conv2D,
  macTerms: (node) => [{ coefficient: spatialSize(node.inputShapes[0]) * kernelArea(node), kind: 'bilinear', in: INPUT_SLOTS, out: OUTPUT_SLOTS }],
  weightAxes: (node) => ({ kernel: { in: 3, out: 2 }, ...biasAxes(node) }),
};

/**
 * The depth multiplier m of a depthwise or separable convolution. tfjs leaves it out of
 * SeparableConv2D's config (getConfig drops it), so it is read from the layer when missing.
 */
function depthMultiplier(node: GraphNode): number {
  return Number(node.config.depthMultiplier ?? (node.layer as unknown as { depthMultiplier?: number }).depthMultiplier ?? 1);
}

/**
 * DepthwiseConv2D: never a source. Output channel j is computed from input channel j / m, so it
 * lives and dies with it. MACs = Ho*Wo*kh*kw*A_out. Kernel [kh, kw, in, m]: channels on axis 2.
 */
export const depthwiseConv2D: LayerHandler = {
  link: ({ node, inputs, output, union }) => {
    const m = depthMultiplier(node);
    for (let j = 0; j < output.length; j++) union(output[j], inputs[0][Math.floor(j / m)]);
  },
  macTerms: (node) => [{ coefficient: spatialSize(node.outputShape) * kernelArea(node), kind: 'linear', in: INPUT_SLOTS, out: OUTPUT_SLOTS }],
  weightTerms: (node) => [{ coefficient: kernelArea(node), kind: 'linear', in: INPUT_SLOTS, out: OUTPUT_SLOTS }, ...biasTerms(node)],
  weightAxes: (node) => ({ depthwise_kernel: { in: 2 }, ...biasAxes(node) }),
};

/**
 * SeparableConv2D = depthwise (input channels x m) then pointwise 1x1 conv; owns its outputs.
 * MACs = Ho*Wo*kh*kw*m*A_in + Ho*Wo*m*A_in*A_out. Depthwise kernel [kh, kw, in, m], pointwise
 * [1, 1, in*m, out]; the pointwise kernel scores the outputs.
 */
export const separableConv2D: LayerHandler = {
  ownsChannels: true,
  widthKey: 'filters',
  link: () => undefined,
  macTerms: (node) => {
    const spatial = spatialSize(node.outputShape);
    const middle = { side: 'input' as const, repeat: depthMultiplier(node) };
    return [
      { coefficient: spatial * kernelArea(node), kind: 'linear', in: INPUT_SLOTS, out: middle },
      { coefficient: spatial, kind: 'bilinear', in: middle, out: OUTPUT_SLOTS },
    ];
  },
  weightTerms: (node) => {
    const middle = { side: 'input' as const, repeat: depthMultiplier(node) };
    return [
      { coefficient: kernelArea(node), kind: 'linear', in: INPUT_SLOTS, out: middle },
      { coefficient: 1, kind: 'bilinear', in: middle, out: OUTPUT_SLOTS },
      ...biasTerms(node),
    ];
  },
  weightAxes: (node) => ({
    depthwise_kernel: { in: 2 },
    pointwise_kernel: { in: 2, inRepeat: depthMultiplier(node), out: 3 },
    ...biasAxes(node),
  }),
  scoreSource: kernelScoresGroupLasso('pointwise_kernel'),
};

/** Dense: owns its units; applied to every position of the leading dims. MACs = positions*A_in*A_out. Kernel [in, out]. */
export const dense: LayerHandler = {
  ownsChannels: true,
  widthKey: 'units',
  link: () => undefined,
  macTerms: (node) => [{ coefficient: spatialSize(node.outputShape), kind: 'bilinear', in: INPUT_SLOTS, out: OUTPUT_SLOTS }],
  weightTerms: (node) => [{ coefficient: 1, kind: 'bilinear', in: INPUT_SLOTS, out: OUTPUT_SLOTS }, ...biasTerms(node)],
  weightAxes: (node) => ({ kernel: { in: 0, out: 1 }, ...biasAxes(node) }),
  scoreSource: kernelScoresGroupLasso('kernel'),
};

import { spatialSize, type GraphNode } from '../types.js';
import { INPUT_SLOTS, OUTPUT_SLOTS, pair, perOutput, type LayerHandler, type ResourceTerm } from './handler.js';

/** The bias of a layer that has one: one weight per output channel. */
const biasTerms = (node: GraphNode): ResourceTerm[] => (node.config.useBias === false ? [] : [perOutput(1)]);

/** kh * kw of a layer's kernel. */
function kernelArea(node: GraphNode): number {
  const [kh, kw] = pair(node.config.kernelSize);
  return kh * kw;
}

/** Conv2D: owns its output channels; MACs = Ho*Wo*kh*kw*A_in*A_out. */
export const conv2D: LayerHandler = {
  ownsChannels: true,
  link: () => undefined,
  macTerms: (node) => [{ coefficient: spatialSize(node.outputShape) * kernelArea(node), kind: 'bilinear', in: INPUT_SLOTS, out: OUTPUT_SLOTS }],
  weightTerms: (node) => [{ coefficient: kernelArea(node), kind: 'bilinear', in: INPUT_SLOTS, out: OUTPUT_SLOTS }, ...biasTerms(node)],
};

/** Conv2DTranspose: every input pixel is scattered through the kernel: MACs = Hin*Win*kh*kw*A_in*A_out. */
export const conv2DTranspose: LayerHandler = {
  ...conv2D,
  macTerms: (node) => [{ coefficient: spatialSize(node.inputShapes[0]) * kernelArea(node), kind: 'bilinear', in: INPUT_SLOTS, out: OUTPUT_SLOTS }],
};

function depthMultiplier(config: Record<string, unknown>): number {
  return Number(config.depthMultiplier ?? 1);
}

/**
 * DepthwiseConv2D: never a source. Output channel j is computed from input channel j / m, so it
 * lives and dies with it. MACs = Ho*Wo*kh*kw*A_out.
 */
export const depthwiseConv2D: LayerHandler = {
  link: ({ node, inputs, output, union }) => {
    const m = depthMultiplier(node.config);
    for (let j = 0; j < output.length; j++) union(output[j], inputs[0][Math.floor(j / m)]);
  },
  macTerms: (node) => [{ coefficient: spatialSize(node.outputShape) * kernelArea(node), kind: 'linear', in: INPUT_SLOTS, out: OUTPUT_SLOTS }],
  weightTerms: (node) => [{ coefficient: kernelArea(node), kind: 'linear', in: INPUT_SLOTS, out: OUTPUT_SLOTS }, ...biasTerms(node)],
};

/**
 * SeparableConv2D = depthwise (input channels x m) then pointwise 1x1 conv; owns its outputs.
 * MACs = Ho*Wo*kh*kw*m*A_in + Ho*Wo*m*A_in*A_out.
 */
export const separableConv2D: LayerHandler = {
  ownsChannels: true,
  link: () => undefined,
  macTerms: (node) => {
    const spatial = spatialSize(node.outputShape);
    const middle = { side: 'input' as const, repeat: depthMultiplier(node.config) };
    return [
      { coefficient: spatial * kernelArea(node), kind: 'linear', in: INPUT_SLOTS, out: middle },
      { coefficient: spatial, kind: 'bilinear', in: middle, out: OUTPUT_SLOTS },
    ];
  },
  weightTerms: (node) => {
    const middle = { side: 'input' as const, repeat: depthMultiplier(node.config) };
    return [
      { coefficient: kernelArea(node), kind: 'linear', in: INPUT_SLOTS, out: middle },
      { coefficient: 1, kind: 'bilinear', in: middle, out: OUTPUT_SLOTS },
      ...biasTerms(node),
    ];
  },
};

/** Dense: owns its units; applied to every position of the leading dims. MACs = positions*A_in*A_out. */
export const dense: LayerHandler = {
  ownsChannels: true,
  link: () => undefined,
  macTerms: (node) => [{ coefficient: spatialSize(node.outputShape), kind: 'bilinear', in: INPUT_SLOTS, out: OUTPUT_SLOTS }],
  weightTerms: (node) => [{ coefficient: 1, kind: 'bilinear', in: INPUT_SLOTS, out: OUTPUT_SLOTS }, ...biasTerms(node)],
};


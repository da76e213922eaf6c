import { channelCount, type GraphNode } from '../types.js';
import { perOutput, tieChannelwise, type LayerHandler, type ResourceTerm } from './handler.js';

/** Layers whose output channel i is input channel i (activations, pooling, padding, dropout...). */
export const passthrough: LayerHandler = {
  link: (ctx) => tieChannelwise(ctx),
};

/** gamma (scale) and beta (center) of a normalization layer, one each per channel when present. */
function scaleAndOffsetTerms(node: GraphNode): ResourceTerm[] {
  const count = (node.config.scale === false ? 0 : 1) + (node.config.center === false ? 0 : 1);
  return count ? [perOutput(count)] : [];
}

/** BatchNormalization: channelwise; gamma/beta trainable (when scale/center), moving stats not. */
export const batchNormalization: LayerHandler = {
  link: (ctx) => {
    const axis = Number(ctx.node.config.axis ?? -1);
    if (axis !== -1 && axis !== ctx.node.outputShape.length - 1) return { barrier: `normalises axis ${axis}, not the channel axis` };
    tieChannelwise(ctx);
  },
  weightTerms: (node) => scaleAndOffsetTerms(node),
  nonTrainableTerms: () => [perOutput(2)], // moving mean and variance
};

/** LayerNormalization over the channel axis: kept channelwise (removing a channel shifts the statistics of the rest). */
export const layerNormalization: LayerHandler = {
  link: (ctx) => tieChannelwise(ctx),
  weightTerms: (node) => scaleAndOffsetTerms(node),
};

/** Add, Subtract, Multiply, Average, Maximum, Minimum: channel i of every input and the output are one. */
export const elementwiseMerge: LayerHandler = {
  link: (ctx) => tieChannelwise(ctx),
};

/** Concatenate on the channel axis: output slice k is input k, at its offset. */
export const concatenate: LayerHandler = {
  link: ({ node, inputs, output, union }) => {
    const axis = Number(node.config.axis ?? -1);
    const rank = node.outputShape.length;
    if (axis !== -1 && axis !== rank - 1) return { barrier: `concatenates on axis ${axis}, not the channel axis` };
    let offset = 0;
    for (const input of inputs) {
      for (let i = 0; i < input.length; i++) union(output[offset + i], input[i]);
      offset += input.length;
    }
  },
};

/** Flatten (channels last): output element j comes from input channel j mod C. */
export const flatten: LayerHandler = {
  link: ({ node, inputs, output, union }) => {
    const channels = channelCount(node.inputShapes[0]);
    for (let j = 0; j < output.length; j++) union(output[j], inputs[0][j % channels]);
  },
};

/**
 * Reshape keeps channels when the last dim is unchanged (e.g. [C] -> [1, 1, C]); a reshape to a
 * flat vector acts as Flatten; any other reshape mixes channels and is a barrier.
 */
export const reshape: LayerHandler = {
  link: (ctx) => {
    const { node } = ctx;
    const inChannels = channelCount(node.inputShapes[0]);
    if (channelCount(node.outputShape) === inChannels) return tieChannelwise(ctx);
    if (node.outputShape.length === 2) return flatten.link(ctx);
    return { barrier: `reshapes [${node.inputShapes[0].slice(1)}] to [${node.outputShape.slice(1)}], which mixes channels` };
  },
};

/** The model input: its channels are fixed by the data. */
export const inputLayer: LayerHandler = {
  link: () => undefined,
};

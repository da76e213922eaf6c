import { channelCount, type GraphNode } from '../types.js';
import { perOutput, tieChannelwise, type LayerHandler, type ResourceTerm, type WeightAxes } from './handler.js';

/** Layers whose output channel i is input channel i (activations, pooling, padding, dropout...). */
export const passthrough: LayerHandler = {
  link: (ctx) => tieChannelwise(ctx),
};

/** gamma (scale) and beta (center) of a normalization layer, one each per channel when present. */
function scaleAndOffsetTerms(node: GraphNode): ResourceTerm[] {
  const count = (node.config.scale === false ? 0 : 1) + (node.config.center === false ? 0 : 1);
  return count ? [perOutput(count)] : [];
}

/** gamma and beta when present: one entry per output channel each. */
function scaleAndOffsetAxes(node: GraphNode): Record<string, WeightAxes> {
  return { ...(node.config.scale === false ? {} : { gamma: { out: 0 } }), ...(node.config.center === false ? {} : { beta: { out: 0 } }) };
}

/**
 * BatchNormalization: channelwise; gamma/beta trainable (when scale/center), moving stats not.
 * Its gamma is MorphNet's gamma source (named even when scale is off, so that is reported).
 */
export const batchNormalization: LayerHandler = {
  link: (ctx) => {
    const axis = Number(ctx.node.config.axis ?? -1);
    if (axis !== -1 && axis !== ctx.node.outputShape.length - 1) return { barrier: `normalises axis ${axis}, not the channel axis` };
    tieChannelwise(ctx);
  },
  weightTerms: (node) => scaleAndOffsetTerms(node),
  nonTrainableTerms: () => [perOutput(2)], // moving mean and variance
  weightAxes: (node) => ({ ...scaleAndOffsetAxes(node), moving_mean: { out: 0 }, moving_variance: { out: 0 } }),
  scoreSource: (_node, kind) => (kind === 'gamma' ? 'gamma' : undefined),
};

/** LayerNormalization over the channel axis: kept channelwise (removing a channel shifts the statistics of the rest). */
export const layerNormalization: LayerHandler = {
  link: (ctx) => tieChannelwise(ctx),
  weightTerms: (node) => scaleAndOffsetTerms(node),
  weightAxes: (node) => scaleAndOffsetAxes(node),
};

/**
 * Add, Average, Maximum, Minimum: channel i of every input and the output are one; with a
 * removed branch they take the inputs left.
 */
export const elementwiseMerge: LayerHandler = {
  link: (ctx) => tieChannelwise(ctx),
  merge: 'drops-inputs',
};

/** Multiply, Subtract: tied like Add, but one input fewer changes what they compute. */
export const elementwiseMergeOfAllInputs: LayerHandler = {
  ...elementwiseMerge,
  merge: 'needs-all-inputs',
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
  merge: 'drops-inputs',
};

/**
 * Flatten (channels last), rebuilt: element p*C' + c' is seed element p*C + inputMap[c'], where C
 * and C' are the seed's and the rebuilt input channels.
 */
function flattenedMap(node: GraphNode, inputMap: Int32Array): Int32Array {
  const seedChannels = channelCount(node.inputShapes[0]);
  const positions = channelCount(node.outputShape) / seedChannels;
  const out = new Int32Array(positions * inputMap.length);
  for (let p = 0; p < positions; p++) {
    for (let c = 0; c < inputMap.length; c++) out[p * inputMap.length + c] = inputMap[c] < 0 ? -1 : p * seedChannels + inputMap[c];
  }
  return out;
}

/** Flatten (channels last): output element j comes from input channel j mod C. */
export const flatten: LayerHandler = {
  link: ({ node, inputs, output, union }) => {
    const channels = channelCount(node.inputShapes[0]);
    for (let j = 0; j < output.length; j++) union(output[j], inputs[0][j % channels]);
  },
  outputChannelMap: flattenedMap,
};

/** A reshape to a flat vector that changes the channel count acts as Flatten. */
const reshapeFlattens = (node: GraphNode) => node.outputShape.length === 2 && channelCount(node.outputShape) !== channelCount(node.inputShapes[0]);

/**
 * Reshape keeps channels when the last dim is unchanged (e.g. [C] -> [1, 1, C]); a reshape to a
 * flat vector acts as Flatten; any other reshape mixes channels and is a barrier.
 */
export const reshape: LayerHandler = {
  link: (ctx) => {
    const { node } = ctx;
    if (channelCount(node.outputShape) === channelCount(node.inputShapes[0])) return tieChannelwise(ctx);
    if (reshapeFlattens(node)) return flatten.link(ctx);
    return { barrier: `reshapes [${node.inputShapes[0].slice(1)}] to [${node.outputShape.slice(1)}], which mixes channels` };
  },
  outputChannelMap: (node, inputMap) => (reshapeFlattens(node) ? flattenedMap(node, inputMap) : undefined),
  channelShapeKey: 'target_shape',
};

/** The model input: its channels are fixed by the data. */
export const inputLayer: LayerHandler = {
  link: () => undefined,
};

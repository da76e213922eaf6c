import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../backend/select.js';
import { CostModel } from '../../cost/cost-model.js';
import { countModel } from '../../cost/count-model.js';
import { channelScores } from '../../regularizers/channel-scores.js';
import { findSources, type SourceKind } from '../../regularizers/sources.js';
import { rebuildModel } from '../../surgery/rebuild.js';
import { slicePrunedWeights } from '../../surgery/slice-weights.js';
import { buildLayerGraph } from '../build-graph.js';
import { analyzeChannels, type ChannelAnalysis, type ChannelGroup } from '../channel-groups.js';
import { channelCount } from '../types.js';
import { weightShortName } from './handler.js';
import { handlerFor, LAYER_HANDLERS } from './registry.js';

/**
 * The contract every registered layer class passes, run over the registry's own list: each
 * class has one or more cases below (a tiny model around the layer), and each case goes through
 *   grouping            which layers share channels, checked by hand;
 *   cost                totals against hand arithmetic; every layer's params equal its tfjs weights;
 *   weight axes         the handler names every weight, its channel axes have the channel counts;
 *   score shape, axis   a score source gives one score per output channel, and zeroing the slice
 *                       the score reads changes that output channel only;
 *   full-width rebuild  rebuilt at the seed's widths with the weights copied: the same outputs;
 *   dead channels       channels zeroed through every weight that carries them are sliced away:
 *                       the same outputs (where the class has channels to slice).
 *
 * The template (6x6x3 input, H = W = 6):
 *
 *   input[6,6,3] -> a: Conv2D 4 3x3 same, no bias -> LAYER -> b: Conv2D 5 1x1, no bias
 *                -> GlobalAveragePooling2D -> out: Dense 2
 *
 *   MACs(a) = 6*6 * 3*3 * 3*4 = 3888          params(a) = 3*3*3*4 = 108
 *   MACs(b) = Hb*Wb * 4*5  (Hb x Wb: LAYER's output size)   params(b) = 4*5 = 20
 *   MACs(out) = 5*2 = 10                       params(out) = 5*2 + 2 = 12
 */
const MACS_A = 6 * 6 * 3 * 3 * 3 * 4;
const PARAMS_A = 3 * 3 * 3 * 4;
const MACS_OUT = 5 * 2;
const PARAMS_OUT = 5 * 2 + 2;

type Sym = tf.SymbolicTensor;
const apply = (layer: tf.layers.Layer, x: Sym | Sym[]) => layer.apply(x) as Sym;
const convA = (x: Sym, filters = 4, name = 'a') => apply(tf.layers.conv2d({ name, filters, kernelSize: 3, padding: 'same', useBias: false }), x);

/**
 * Stand-ins for the two registered classes tfjs does not ship, registered as a user registers
 * them to load a Keras model that has them: SpatialDropout2D (identity at inference) and
 * Subtract (input 0 minus input 1).
 */
class SpatialDropout2D extends tf.layers.Layer {
  static readonly className = 'SpatialDropout2D';
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return Array.isArray(inputs) ? inputs[0] : inputs;
  }
}
class Subtract extends tf.layers.Layer {
  static readonly className = 'Subtract';
  override computeOutputShape(shapes: tf.Shape | tf.Shape[]): tf.Shape {
    return (shapes as tf.Shape[])[0];
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const [x, y] = inputs as tf.Tensor[];
    return tf.sub(x, y);
  }
}
tf.serialization.registerClass(SpatialDropout2D);
tf.serialization.registerClass(Subtract);

function template(layerUnderTest: (h: Sym) => Sym, head: 'conv' | 'dense' = 'conv'): tf.LayersModel {
  const x = tf.input({ shape: [6, 6, 3], name: 'input' });
  let h = layerUnderTest(convA(x));
  if (head === 'conv') {
    h = apply(tf.layers.conv2d({ name: 'b', filters: 5, kernelSize: 1, useBias: false }), h);
    h = apply(tf.layers.globalAveragePooling2d({ name: 'gap' }), h);
  } else {
    h = apply(tf.layers.dense({ name: 'b', units: 5, useBias: false }), h);
  }
  return tf.model({ inputs: x, outputs: apply(tf.layers.dense({ name: 'out', units: 2 }), h) });
}

/**
 *   input -> a1: Conv2D widths[0] ─┐
 *   input -> a2: Conv2D widths[1] ─┴─ LAYER -> b: Conv2D 5 1x1 -> GlobalAveragePooling2D -> out: Dense 2
 */
function twoBranches(merge: tf.layers.Layer, widths: [number, number] = [4, 4]): tf.LayersModel {
  const x = tf.input({ shape: [6, 6, 3], name: 'input' });
  const merged = apply(merge, [convA(x, widths[0], 'a1'), convA(x, widths[1], 'a2')]);
  const b = apply(tf.layers.conv2d({ name: 'b', filters: 5, kernelSize: 1, useBias: false }), merged);
  return tf.model({ inputs: x, outputs: apply(tf.layers.dense({ name: 'out', units: 2 }), apply(tf.layers.globalAveragePooling2d({ name: 'gap' }), b)) });
}

/**
 * For layers of sequences (rank 3):
 *   input[6,3] -> a: Dense 4, no bias -> LAYER -> b: Dense 5, no bias -> flat: Flatten -> out: Dense 2
 *   MACs: a 6*3*4, b 6*4*5, out 30*2;  params: a 3*4, b 4*5, out 30*2 + 2
 */
function sequenceTemplate(layerUnderTest: (h: Sym) => Sym): tf.LayersModel {
  const x = tf.input({ shape: [6, 3], name: 'input' });
  let h = layerUnderTest(apply(tf.layers.dense({ name: 'a', units: 4, useBias: false }), x));
  h = apply(tf.layers.dense({ name: 'b', units: 5, useBias: false }), h);
  h = apply(tf.layers.flatten({ name: 'flat' }), h);
  return tf.model({ inputs: x, outputs: apply(tf.layers.dense({ name: 'out', units: 2 }), h) });
}

const groupOf = (analysis: ChannelAnalysis, layer: string) => analysis.groups.find((g) => g.sources.includes(layer) || g.members[0].nodeId === layer)!;
const memberNames = (analysis: ChannelAnalysis, layer: string) => groupOf(analysis, layer).members.map((m) => m.nodeId);
const channelsOf = (analysis: ChannelAnalysis, group: string, member: string) => groupOf(analysis, group).members.find((m) => m.nodeId === member)!.channels;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

interface ContractCase {
  /** What this case shows, when a class has several. */
  variant?: string;
  build(): tf.LayersModel;
  /** The layer under test (default `layer`). */
  layer?: string;
  grouping(analysis: ChannelAnalysis): void;
  /** Hand-counted totals of the whole model; totalParams defaults to params. */
  cost: { macs: number; params: number; totalParams?: number };
  /** Group channels to kill and slice away, by a layer of each group; or why the class has none. */
  dead: Record<string, number[]> | string;
  /** Why the model cannot be rebuilt from its saved config, when it cannot: both surgery checks are skipped. */
  notRebuilt?: string;
}

/** A channelwise layer in the template: it joins a's group; only b's spatial size changes. */
function passthroughCase(layer: () => tf.layers.Layer, outSpatial: number, extra: { params?: number; totalParams?: number; dead?: string } = {}): ContractCase {
  const base = PARAMS_A + 4 * 5 + PARAMS_OUT;
  return {
    build: () => template((h) => apply(layer(), h)),
    grouping: (analysis) => {
      expect(memberNames(analysis, 'a')).toContain('layer');
      expect(analysis.barriers).toEqual([]);
    },
    cost: { macs: MACS_A + outSpatial * 4 * 5 + MACS_OUT, params: base + (extra.params ?? 0), totalParams: base + (extra.totalParams ?? extra.params ?? 0) },
    dead: extra.dead ?? { a: [1, 3] },
  };
}

/**
 * A layer that owns 6 output channels, between a and b: its own group, b's input.
 * b: 1x1 from 6 to 5 channels at the layer's output size, outSpatial*6*5 MACs, 6*5 params.
 */
function ownerCase(layer: () => tf.layers.Layer, cost: { macs: number; params: number; outSpatial: number }): ContractCase {
  return {
    build: () => template((h) => apply(layer(), h)),
    grouping: (analysis) => {
      expect(groupOf(analysis, 'layer').sources).toEqual(['layer']);
      expect(memberNames(analysis, 'a')).not.toContain('layer');
      expect(groupOf(analysis, 'layer').fixed).toBe(false);
    },
    cost: { macs: MACS_A + cost.macs + cost.outSpatial * 6 * 5 + MACS_OUT, params: PARAMS_A + cost.params + 6 * 5 + PARAMS_OUT },
    // a's channel 1 checks the layer's input axis, its own 0 and 4 its output axis.
    dead: { a: [1], layer: [0, 4] },
  };
}

/** Both branches of a merge and its output are one group of 4. */
function mergeCase(merge: () => tf.layers.Layer): ContractCase {
  return {
    build: () => twoBranches(merge()),
    grouping: (analysis) => {
      const group = groupOf(analysis, 'a1');
      expect(group.sources).toEqual(['a1', 'a2']);
      expect(group.members.map((m) => m.nodeId)).toContain('layer');
      expect(group.width).toBe(4);
    },
    cost: { macs: 2 * MACS_A + 36 * 4 * 5 + MACS_OUT, params: 2 * PARAMS_A + 4 * 5 + PARAMS_OUT },
    dead: { a1: [1, 2] },
  };
}

const CROSS_CHANNEL = 'normalises over the channel axis: removing a channel changes the others, so slicing is not exact';

const CASES: Record<string, ContractCase[]> = {
  Activation: [passthroughCase(() => tf.layers.activation({ name: 'layer', activation: 'relu' }), 36)],
  ReLU: [passthroughCase(() => tf.layers.reLU({ name: 'layer', maxValue: 6 }), 36)],
  LeakyReLU: [passthroughCase(() => tf.layers.leakyReLU({ name: 'layer' }), 36)],
  // tfjs's default axis is 1, which its softmax cannot run on a rank-4 tensor: the channel axis, as Keras has it.
  Softmax: [passthroughCase(() => tf.layers.softmax({ name: 'layer', axis: -1 }), 36, { dead: CROSS_CHANNEL })],
  ELU: [passthroughCase(() => tf.layers.elu({ name: 'layer' }), 36)],
  ThresholdedReLU: [passthroughCase(() => tf.layers.thresholdedReLU({ name: 'layer' }), 36)],
  Dropout: [passthroughCase(() => tf.layers.dropout({ name: 'layer', rate: 0.5 }), 36)],
  SpatialDropout2D: [passthroughCase(() => new SpatialDropout2D({ name: 'layer' }), 36)],
  GaussianNoise: [passthroughCase(() => tf.layers.gaussianNoise({ name: 'layer', stddev: 0.1 }), 36)],
  GaussianDropout: [passthroughCase(() => tf.layers.gaussianDropout({ name: 'layer', rate: 0.1 }), 36)],
  AlphaDropout: [passthroughCase(() => tf.layers.alphaDropout({ name: 'layer', rate: 0.1 }), 36)],
  MaxPooling2D: [passthroughCase(() => tf.layers.maxPooling2d({ name: 'layer', poolSize: 2 }), 3 * 3)],
  AveragePooling2D: [passthroughCase(() => tf.layers.averagePooling2d({ name: 'layer', poolSize: 3, strides: 1 }), 4 * 4)],
  ZeroPadding2D: [passthroughCase(() => tf.layers.zeroPadding2d({ name: 'layer', padding: 1 }), 8 * 8)],
  Cropping2D: [passthroughCase(() => tf.layers.cropping2D({ name: 'layer', cropping: [[1, 1], [2, 0]] }), 4 * 4)],
  UpSampling2D: [passthroughCase(() => tf.layers.upSampling2d({ name: 'layer', size: [2, 2] }), 12 * 12)],
  // BN over 4 channels: gamma + beta trainable (2*4), moving mean + variance not (2*4).
  BatchNormalization: [passthroughCase(() => tf.layers.batchNormalization({ name: 'layer' }), 36, { params: 2 * 4, totalParams: 4 * 4 })],
  LayerNormalization: [passthroughCase(() => tf.layers.layerNormalization({ name: 'layer' }), 36, { params: 2 * 4, dead: CROSS_CHANNEL })],

  SpatialDropout1D: [
    {
      build: () => sequenceTemplate((h) => apply(tf.layers.spatialDropout1d({ name: 'layer', rate: 0.5 }), h)),
      grouping: (analysis) => expect(memberNames(analysis, 'a')).toContain('layer'),
      cost: { macs: 6 * 3 * 4 + 6 * 4 * 5 + 30 * 2, params: 3 * 4 + 4 * 5 + 30 * 2 + 2 },
      dead: { a: [1, 3] },
    },
  ],

  // Global pooling keeps channels; the dense after it sees 4 inputs.
  ...Object.fromEntries(
    (
      [
        ['GlobalAveragePooling2D', () => tf.layers.globalAveragePooling2d({ name: 'layer' })],
        ['GlobalMaxPooling2D', () => tf.layers.globalMaxPooling2d({ name: 'layer' })],
      ] as const
    ).map(([className, layer]) => [
      className,
      [
        {
          build: () => template((h) => apply(layer(), h), 'dense'),
          grouping: (analysis: ChannelAnalysis) => expect(memberNames(analysis, 'a')).toContain('layer'),
          cost: { macs: MACS_A + 4 * 5 + MACS_OUT, params: PARAMS_A + 4 * 5 + PARAMS_OUT },
          dead: { a: [1, 3] },
        },
      ],
    ]),
  ),

  InputLayer: [
    {
      variant: 'the template without a layer',
      build: () => template((h) => h),
      layer: 'input',
      grouping: (analysis) => {
        const input = groupOf(analysis, 'input');
        expect(input.width).toBe(3);
        expect(input.fixed).toBe(true);
        expect(input.fixedReasons).toContain('model input');
        // The final Dense's group is the model output: fixed; b's is not.
        expect(groupOf(analysis, 'out').fixed).toBe(true);
        expect(groupOf(analysis, 'b').fixed).toBe(false);
      },
      cost: { macs: MACS_A + 36 * 4 * 5 + MACS_OUT, params: PARAMS_A + 4 * 5 + PARAMS_OUT },
      dead: 'the model input: its channels are the data, fixed',
    },
  ],

  // Conv2D 6 3x3 same on 4 channels: MACs 6*6*3*3*4*6, params 3*3*4*6 + 6; b then sees 6 channels.
  Conv2D: [ownerCase(() => tf.layers.conv2d({ name: 'layer', filters: 6, kernelSize: 3, padding: 'same' }), { macs: 36 * 9 * 4 * 6, params: 9 * 4 * 6 + 6, outSpatial: 36 })],
  // Dense 6 at each of the 6*6 positions: MACs 36*4*6, params 4*6 + 6.
  Dense: [ownerCase(() => tf.layers.dense({ name: 'layer', units: 6 }), { macs: 36 * 4 * 6, params: 4 * 6 + 6, outSpatial: 36 })],
  // Conv2DTranspose 6 3x3 stride 2: MACs counted per input pixel 6*6*3*3*4*6; output 12x12.
  Conv2DTranspose: [
    ownerCase(() => tf.layers.conv2dTranspose({ name: 'layer', filters: 6, kernelSize: 3, strides: 2, padding: 'same' }), {
      macs: 36 * 9 * 4 * 6,
      params: 9 * 4 * 6 + 6,
      outSpatial: 12 * 12,
    }),
  ],
  SeparableConv2D: [
    // 6 3x3: depthwise 6*6*3*3*4 + pointwise 6*6*4*6 MACs; params 3*3*4 + 4*6 + 6.
    {
      variant: 'multiplier 1',
      ...ownerCase(() => tf.layers.separableConv2d({ name: 'layer', filters: 6, kernelSize: 3, padding: 'same' }), { macs: 36 * 9 * 4 + 36 * 4 * 6, params: 9 * 4 + 4 * 6 + 6, outSpatial: 36 }),
    },
    // Multiplier 2: depthwise 6*6*3*3*4*2 + pointwise 6*6*8*6 MACs; params 3*3*4*2 + 8*6 + 6.
    {
      variant: 'multiplier 2',
      ...ownerCase(() => tf.layers.separableConv2d({ name: 'layer', filters: 6, kernelSize: 3, padding: 'same', depthMultiplier: 2 }), {
        macs: 36 * 9 * 4 * 2 + 36 * 8 * 6,
        params: 9 * 4 * 2 + 8 * 6 + 6,
        outSpatial: 36,
      }),
      notRebuilt: 'tfjs drops depthMultiplier from the saved SeparableConv2D config, so a rebuilt (or saved) model has multiplier 1',
    },
  ],
  DepthwiseConv2D: [
    {
      variant: 'multiplier 2: output channels 2i, 2i+1 belong to input channel i',
      build: () => template((h) => apply(tf.layers.depthwiseConv2d({ name: 'layer', kernelSize: 3, padding: 'same', depthMultiplier: 2 }), h)),
      grouping: (analysis) => expect(channelsOf(analysis, 'a', 'layer')).toEqual([[0, 1], [2, 3], [4, 5], [6, 7]]),
      // MACs 6*6*3*3*8, params 3*3*8 + 8; b sees 8 channels: 6*6*8*5.
      cost: { macs: MACS_A + 36 * 9 * 8 + 36 * 8 * 5 + MACS_OUT, params: PARAMS_A + 9 * 8 + 8 + 8 * 5 + PARAMS_OUT },
      dead: { a: [1, 3] },
    },
  ],

  Add: [mergeCase(() => tf.layers.add({ name: 'layer' }))],
  Subtract: [mergeCase(() => new Subtract({ name: 'layer' }))],
  Multiply: [mergeCase(() => tf.layers.multiply({ name: 'layer' }))],
  Average: [mergeCase(() => tf.layers.average({ name: 'layer' }))],
  Maximum: [mergeCase(() => tf.layers.maximum({ name: 'layer' }))],
  Minimum: [mergeCase(() => tf.layers.minimum({ name: 'layer' }))],
  Concatenate: [
    {
      variant: 'each input is a slice of the output at its offset',
      build: () => twoBranches(tf.layers.concatenate({ name: 'layer' }), [4, 3]),
      grouping: (analysis) => {
        expect(channelsOf(analysis, 'a1', 'layer')).toEqual([[0], [1], [2], [3]]);
        expect(channelsOf(analysis, 'a2', 'layer')).toEqual([[4], [5], [6]]);
      },
      // a1 6*6*3*3*3*4, a2 6*6*3*3*3*3, b 6*6*7*5.
      cost: { macs: MACS_A + 36 * 9 * 3 * 3 + 36 * 7 * 5 + MACS_OUT, params: PARAMS_A + 9 * 3 * 3 + 7 * 5 + PARAMS_OUT },
      dead: { a1: [0], a2: [1, 2] },
    },
  ],

  Flatten: [
    {
      variant: 'then Dense: each channel of a feeds 6*6 dense inputs',
      build: () => template((h) => apply(tf.layers.flatten({ name: 'layer' }), h), 'dense'),
      grouping: (analysis) => {
        expect(memberNames(analysis, 'a')).toContain('layer');
        expect(channelsOf(analysis, 'a', 'layer')[1]).toEqual(range(36).map((p) => p * 4 + 1));
      },
      cost: { macs: MACS_A + 36 * 4 * 5 + MACS_OUT, params: PARAMS_A + 36 * 4 * 5 + PARAMS_OUT },
      dead: { a: [0, 2] },
    },
  ],
  Reshape: [
    {
      variant: 'to [144]: flattens',
      build: () => template((h) => apply(tf.layers.reshape({ name: 'layer', targetShape: [144] }), h), 'dense'),
      grouping: (analysis) => expect(memberNames(analysis, 'a')).toContain('layer'),
      cost: { macs: MACS_A + 144 * 5 + MACS_OUT, params: PARAMS_A + 144 * 5 + PARAMS_OUT },
      dead: { a: [0, 2] },
    },
    {
      variant: 'to [36, 4]: keeps channels',
      build: () => template((h) => apply(tf.layers.reshape({ name: 'layer', targetShape: [36, 4] }), h), 'dense'),
      grouping: (analysis) => expect(memberNames(analysis, 'a')).toContain('layer'),
      // b and out apply at each of the 36 positions: 36*4*5 and 36*5*2.
      cost: { macs: MACS_A + 36 * 4 * 5 + 36 * 5 * 2, params: PARAMS_A + 4 * 5 + PARAMS_OUT },
      dead: { a: [1] },
    },
    {
      variant: 'to [6, 24]: mixes channels, a barrier',
      build: () => template((h) => apply(tf.layers.reshape({ name: 'layer', targetShape: [6, 24] }), h), 'dense'),
      grouping: (analysis) => {
        expect(analysis.barriers.map((b) => b.nodeId)).toEqual(['layer']);
        expect(groupOf(analysis, 'a').fixed).toBe(true);
      },
      cost: { macs: MACS_A + 6 * 24 * 5 + 6 * 5 * 2, params: PARAMS_A + 24 * 5 + PARAMS_OUT },
      dead: 'a barrier: the channels around it are fixed',
    },
  ],
};

/** Every weight set to seeded values in [-1, 1] (moving variances in [0.5, 1.5]), so that no check passes on zeros or ones. */
function randomizeWeights(model: tf.LayersModel): void {
  let seed = 7;
  for (const layer of model.layers) {
    const values = layer.weights.map((w) => {
      const [low, high] = weightShortName(w.originalName) === 'moving_variance' ? [0.5, 1.5] : [-1, 1];
      return tf.randomUniform(w.shape as number[], low, high, 'float32', seed++);
    });
    layer.setWeights(values);
    tf.dispose(values);
  }
}

function seedOf(c: ContractCase) {
  const model = c.build();
  randomizeWeights(model);
  const analysis = analyzeChannels(buildLayerGraph(model));
  return { model, analysis, node: analysis.graph.byId.get(c.layer ?? 'layer')! };
}

const inputFor = (model: tf.LayersModel) => tf.randomNormal([2, ...(model.inputs[0].shape.slice(1) as number[])], 0, 1, 'float32', 3);

/** The output of `node` (or the model's) on `x`, as [positions, channels] rows. */
function outputOf(model: tf.LayersModel, x: tf.Tensor, layer?: tf.layers.Layer): number[][] {
  return tf.tidy(() => {
    const sub = layer ? tf.model({ inputs: model.inputs, outputs: layer.output as Sym }) : model;
    const y = sub.predict(x) as tf.Tensor;
    return y.reshape([-1, y.shape[y.shape.length - 1]!]).arraySync() as number[][];
  });
}

/** Outputs equal up to float rounding of sums over fewer (zero) terms. */
function expectSameOutputs(before: number[][], after: number[][]): void {
  expect(after.length).toBe(before.length);
  expect(after[0].length).toBe(before[0].length);
  before.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(after[i][j] - v)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(v)))));
}

/** `weight` with the entries at `indices` of `axis` set to 0. */
function zeroed(weight: tf.Tensor, axis: number, indices: number[]): tf.Tensor {
  return tf.tidy(() => {
    const size = weight.shape[axis];
    const mask = tf.tensor(range(size).map((i) => (indices.includes(i) ? 0 : 1)), weight.shape.map((_, a) => (a === axis ? size : 1)));
    return tf.mul(weight, mask);
  });
}

/** Kills group channels: every member's weights that follow its output channels are zeroed there (a kernel's column, a bias, BN's gamma and beta). */
function killChannels(analysis: ChannelAnalysis, group: ChannelGroup, channels: number[]): void {
  for (const member of group.members) {
    const node = analysis.graph.byId.get(member.nodeId)!;
    const axes = handlerFor(node.className)?.weightAxes?.(node) ?? {};
    const indices = channels.flatMap((k) => member.channels[k]);
    for (const variable of node.layer.weights) {
      const axis = axes[weightShortName(variable.originalName)]?.out;
      if (axis !== undefined) variable.write(zeroed(variable.read(), axis, indices));
    }
  }
}

function checkGrouping(c: ContractCase): void {
  c.grouping(seedOf(c).analysis);
}

function checkCost(c: ContractCase): void {
  const { analysis } = seedOf(c);
  const { layers, totals } = new CostModel(analysis).evaluate();
  expect(totals.macs).toBe(c.cost.macs);
  expect(totals.params).toBe(c.cost.params);
  expect(totals.totalParams).toBe(c.cost.totalParams ?? c.cost.params);
  // Params derive from the weight terms: every layer's count is the elements of its tfjs weights.
  for (const node of analysis.graph.nodes) expect(layers.find((l) => l.name === node.id)!.totalParams, node.id).toBe(node.layer.countParams());
}

/** The handler names every weight of the layer, and each named axis has the channel count it claims to follow. */
function checkWeightAxes(c: ContractCase): void {
  const { model, node } = seedOf(c);
  const handler = handlerFor(node.className)!;
  const axes = handler.weightAxes?.(node) ?? {};
  expect(Object.keys(axes).sort()).toEqual(node.layer.weights.map((w) => weightShortName(w.originalName)).sort());
  for (const variable of node.layer.weights) {
    const { in: inAxis, inRepeat = 1, out } = axes[weightShortName(variable.originalName)];
    if (out !== undefined) expect(variable.shape[out], `${variable.originalName} axis ${out}`).toBe(channelCount(node.outputShape));
    if (inAxis !== undefined) expect(variable.shape[inAxis], `${variable.originalName} axis ${inAxis}`).toBe(channelCount(node.inputShapes[0]) * inRepeat);
  }
  if (handler.ownsChannels) {
    const saved = (model.toJSON(null, false) as unknown as { config: { layers: Array<{ name: string; config: Record<string, unknown> }> } }).config.layers;
    expect(saved.find((l) => l.name === node.id)!.config[handler.widthKey]).toBe(channelCount(node.outputShape));
  }
}

/**
 * Each kind's source at the layer (if its handler names one) scores every output channel; zeroing
 * the slice that score 1 reads drops score 1 to 0 and changes output channel 1 only.
 */
function checkScores(c: ContractCase, kind: SourceKind): void {
  const { model, analysis, node } = seedOf(c);
  const named = handlerFor(node.className)!.scoreSource?.(node, kind);
  const sources = findSources(analysis, kind).regularized.flatMap((entry) => entry.sources.filter((s) => s.nodeId === node.id));
  if (!named) {
    expect(sources).toEqual([]);
    return;
  }
  expect(sources).toHaveLength(1);
  const [source] = sources;
  const x = inputFor(model);
  const scoresOf = () => tf.tidy(() => Array.from(channelScores(source, kind, 0).dataSync()));
  const before = { scores: scoresOf(), output: outputOf(model, x, node.layer) };
  expect(before.scores).toHaveLength(channelCount(node.outputShape));
  source.variable.write(zeroed(source.variable.read(), source.axis!, [1]));
  const after = { scores: scoresOf(), output: outputOf(model, x, node.layer) };
  expect(after.scores[1]).toBeLessThan(1e-5);
  after.scores.forEach((score, j) => j !== 1 && expect(score).toBeCloseTo(before.scores[j], 6));
  const changed = range(before.output[0].length).filter((j) => before.output.some((row, p) => row[j] !== after.output[p][j]));
  expect(changed).toEqual([1]);
}

/** Rebuilt at the seed's widths with the weights copied: the same outputs and the same cost. */
async function checkFullWidthRebuild(c: ContractCase): Promise<void> {
  const { model, analysis } = seedOf(c);
  const widths = analysis.groups.map((g) => g.width);
  const rebuilt = await rebuildModel(model, analysis, widths, 1);
  slicePrunedWeights(analysis, rebuilt, widths, analysis.groups.map((g) => range(g.width)));
  expect(countModel(rebuilt).totals).toEqual(countModel(model).totals);
  const x = inputFor(model);
  expectSameOutputs(outputOf(model, x), outputOf(rebuilt, x));
}

/** Dead channels (zero in every member's output) sliced away: the narrower model computes the same. */
async function checkDeadChannelSlicing(c: ContractCase, dead: Record<string, number[]>): Promise<void> {
  const { model, analysis } = seedOf(c);
  const deadOf = new Map<number, number[]>(Object.entries(dead).map(([layer, channels]) => [groupOf(analysis, layer).id, channels]));
  for (const [id, channels] of deadOf) killChannels(analysis, analysis.groups[id], channels);
  const x = inputFor(model);
  // Independently of the handler's axes: the killed channels are 0 in every member's output.
  for (const [id, channels] of deadOf) {
    for (const member of analysis.groups[id].members) {
      const output = outputOf(model, x, analysis.graph.byId.get(member.nodeId)!.layer);
      for (const j of channels.flatMap((k) => member.channels[k])) expect(output.every((row) => row[j] === 0), `${member.nodeId} channel ${j}`).toBe(true);
    }
  }
  const kept = analysis.groups.map((g) => range(g.width).filter((i) => !deadOf.get(g.id)?.includes(i)));
  const widths = kept.map((k) => k.length);
  const rebuilt = await rebuildModel(model, analysis, widths, 1);
  slicePrunedWeights(analysis, rebuilt, widths, kept);
  expect(countModel(rebuilt).totals.params).toBeLessThan(countModel(model).totals.params);
  expectSameOutputs(outputOf(model, x), outputOf(rebuilt, x));
}

beforeAll(async () => {
  await initBackend('cpu');
});

describe('layer handler contract: every registered class', () => {
  for (const className of Object.keys(LAYER_HANDLERS)) {
    const cases = CASES[className];
    if (!cases) {
      it(`${className} has a contract case`, () => expect.fail(`add a case for ${className} to CASES in contract.test.ts`));
      continue;
    }
    for (const c of cases) {
      describe(c.variant ? `${className} (${c.variant})` : className, () => {
        it('grouping', () => checkGrouping(c));
        it('cost by hand arithmetic; params equal the tfjs weights', () => checkCost(c));
        it('weight axes: every weight named, each axis has its channel count', () => checkWeightAxes(c));
        it('score shape and axis (gamma)', () => checkScores(c, 'gamma'));
        it('score shape and axis (group-lasso)', () => checkScores(c, 'group-lasso'));
        if (c.notRebuilt) {
          it.skip(`rebuild and slice: not checked (${c.notRebuilt})`);
          return;
        }
        it('rebuild at full width and copy the weights: same outputs', () => checkFullWidthRebuild(c));
        if (typeof c.dead === 'string') it.skip(`slice dead channels: not applicable (${c.dead})`);
        else {
          const dead = c.dead;
          it(`slice dead channels ${JSON.stringify(dead)}: same outputs`, () => checkDeadChannelSlicing(c, dead));
        }
      });
    }
  }

  it('every case is for a registered class', () => {
    expect(Object.keys(CASES).filter((className) => !(className in LAYER_HANDLERS))).toEqual([]);
  });

  it('the case models hold the class they test', () => {
    for (const [className, cases] of Object.entries(CASES)) {
      for (const c of cases) expect(seedOf(c).node.className).toBe(className);
    }
  });
});

describe('handler declarations', () => {
  it('a class that owns its channels names its width key; the others do not', () => {
    for (const [className, handler] of Object.entries(LAYER_HANDLERS)) {
      expect(Boolean(handler.widthKey), className).toBe(Boolean(handler.ownsChannels));
    }
  });

  it('merge semantics: Add, Average, Maximum, Minimum, Concatenate drop a removed input; Multiply and Subtract need all', () => {
    const merges = Object.entries(LAYER_HANDLERS).filter(([, h]) => h.merge);
    expect(Object.fromEntries(merges.map(([className, h]) => [className, h.merge]))).toEqual({
      Add: 'drops-inputs',
      Average: 'drops-inputs',
      Maximum: 'drops-inputs',
      Minimum: 'drops-inputs',
      Concatenate: 'drops-inputs',
      Multiply: 'needs-all-inputs',
      Subtract: 'needs-all-inputs',
    });
  });
});

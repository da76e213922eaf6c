import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../backend/select.js';
import { CostModel } from '../../cost/cost-model.js';
import { buildLayerGraph } from '../build-graph.js';
import { analyzeChannels, type ChannelAnalysis } from '../channel-groups.js';
import { LAYER_HANDLERS } from './registry.js';

/**
 * The shared contract every layer handler passes: a tiny model around the layer, its channel
 * groups, and its cost against hand arithmetic.
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

function analyze(model: tf.LayersModel, renameClass?: [string, string]) {
  const graph = buildLayerGraph(model);
  if (renameClass) for (const node of graph.nodes) if (node.className === renameClass[0]) node.className = renameClass[1];
  const analysis = analyzeChannels(graph);
  const { layers, totals } = new CostModel(analysis).evaluate();
  const row = (name: string) => layers.find((l) => l.name === name)!;
  return { analysis, totals, row };
}

const groupOf = (analysis: ChannelAnalysis, layer: string) => analysis.groups.find((g) => g.sources.includes(layer) || g.members[0].nodeId === layer)!;
const memberNames = (analysis: ChannelAnalysis, layer: string) => groupOf(analysis, layer).members.map((m) => m.nodeId);
const channelsOf = (analysis: ChannelAnalysis, group: string, member: string) => groupOf(analysis, group).members.find((m) => m.nodeId === member)!.channels;

beforeAll(async () => {
  await initBackend('cpu');
});

interface PassthroughCase {
  className: string;
  layer: () => tf.layers.Layer;
  /** Output spatial size after the layer (b's Hb*Wb). */
  outSpatial: number;
  params?: { trainable: number; total: number };
  renameTo?: string;
}

// Channelwise layers: a's group grows by the layer; only b's spatial size changes.
const PASSTHROUGH: PassthroughCase[] = [
  { className: 'Activation', layer: () => tf.layers.activation({ name: 'layer', activation: 'relu' }), outSpatial: 36 },
  { className: 'ReLU', layer: () => tf.layers.reLU({ name: 'layer', maxValue: 6 }), outSpatial: 36 },
  { className: 'LeakyReLU', layer: () => tf.layers.leakyReLU({ name: 'layer' }), outSpatial: 36 },
  { className: 'Softmax', layer: () => tf.layers.softmax({ name: 'layer' }), outSpatial: 36 },
  { className: 'Dropout', layer: () => tf.layers.dropout({ name: 'layer', rate: 0.5 }), outSpatial: 36 },
  { className: 'SpatialDropout2D', layer: () => tf.layers.dropout({ name: 'layer', rate: 0.5 }), outSpatial: 36, renameTo: 'SpatialDropout2D' },
  { className: 'ELU', layer: () => tf.layers.elu({ name: 'layer' }), outSpatial: 36 },
  { className: 'ThresholdedReLU', layer: () => tf.layers.thresholdedReLU({ name: 'layer' }), outSpatial: 36 },
  { className: 'GaussianDropout', layer: () => tf.layers.gaussianDropout({ name: 'layer', rate: 0.1 }), outSpatial: 36 },
  { className: 'AlphaDropout', layer: () => tf.layers.alphaDropout({ name: 'layer', rate: 0.1 }), outSpatial: 36 },
  { className: 'SpatialDropout1D', layer: () => tf.layers.dropout({ name: 'layer', rate: 0.5 }), outSpatial: 36, renameTo: 'SpatialDropout1D' },
  { className: 'GaussianNoise', layer: () => tf.layers.gaussianNoise({ name: 'layer', stddev: 0.1 }), outSpatial: 36 },
  { className: 'MaxPooling2D', layer: () => tf.layers.maxPooling2d({ name: 'layer', poolSize: 2 }), outSpatial: 3 * 3 },
  { className: 'AveragePooling2D', layer: () => tf.layers.averagePooling2d({ name: 'layer', poolSize: 3, strides: 1 }), outSpatial: 4 * 4 },
  { className: 'ZeroPadding2D', layer: () => tf.layers.zeroPadding2d({ name: 'layer', padding: 1 }), outSpatial: 8 * 8 },
  { className: 'Cropping2D', layer: () => tf.layers.cropping2D({ name: 'layer', cropping: [[1, 1], [2, 0]] }), outSpatial: 4 * 4 },
  { className: 'UpSampling2D', layer: () => tf.layers.upSampling2d({ name: 'layer', size: [2, 2] }), outSpatial: 12 * 12 },
  // BN over 4 channels: gamma + beta trainable (2*4), moving mean + variance not (2*4).
  { className: 'BatchNormalization', layer: () => tf.layers.batchNormalization({ name: 'layer' }), outSpatial: 36, params: { trainable: 2 * 4, total: 4 * 4 } },
  { className: 'LayerNormalization', layer: () => tf.layers.layerNormalization({ name: 'layer' }), outSpatial: 36, params: { trainable: 2 * 4, total: 2 * 4 } },
];

describe('layer handler contract', () => {
  for (const c of PASSTHROUGH) {
    it(`${c.className}: joins the group of its input; cost is the template's`, () => {
      const { analysis, totals, row } = analyze(template((h) => apply(c.layer(), h)), c.renameTo ? ['Dropout', c.renameTo] : undefined);
      expect(row('layer').className).toBe(c.className);
      expect(memberNames(analysis, 'a')).toContain('layer');
      expect(row('layer').macs).toBe(0);
      expect(row('b').macs).toBe(c.outSpatial * 4 * 5);
      expect(totals.macs).toBe(MACS_A + c.outSpatial * 4 * 5 + MACS_OUT);
      const layerParams = c.params ?? { trainable: 0, total: 0 };
      expect(totals.params).toBe(PARAMS_A + 20 + PARAMS_OUT + layerParams.trainable);
      expect(totals.totalParams).toBe(PARAMS_A + 20 + PARAMS_OUT + layerParams.total);
      expect(analysis.barriers).toEqual([]);
    });
  }

  for (const [className, layer] of [
    ['GlobalAveragePooling2D', () => tf.layers.globalAveragePooling2d({ name: 'layer' })],
    ['GlobalMaxPooling2D', () => tf.layers.globalMaxPooling2d({ name: 'layer' })],
  ] as const) {
    it(`${className}: keeps channels; the dense after it sees 4 inputs`, () => {
      const { analysis, totals, row } = analyze(template((h) => apply(layer(), h), 'dense'));
      expect(memberNames(analysis, 'a')).toContain('layer');
      expect(row('b').macs).toBe(4 * 5);
      expect(totals.macs).toBe(MACS_A + 4 * 5 + MACS_OUT);
    });
  }

  it('InputLayer: its 3 channels are a fixed group', () => {
    const { analysis } = analyze(template((h) => h));
    const input = groupOf(analysis, 'input');
    expect(input.width).toBe(3);
    expect(input.fixed).toBe(true);
    expect(input.fixedReasons).toContain('model input');
  });

  it('Conv2D: owns its 4 output channels, MACs 6*6*3*3*3*4, params 3*3*3*4', () => {
    const { analysis, row } = analyze(template((h) => h));
    expect(groupOf(analysis, 'a').sources).toEqual(['a']);
    expect(groupOf(analysis, 'a').width).toBe(4);
    expect(row('a').macs).toBe(MACS_A);
    expect(row('a').params).toBe(PARAMS_A);
  });

  it('Dense: owns its units; the final output group is fixed; MACs 5*2, params 5*2+2', () => {
    const { analysis, row } = analyze(template((h) => h));
    expect(row('out').macs).toBe(MACS_OUT);
    expect(row('out').params).toBe(PARAMS_OUT);
    expect(groupOf(analysis, 'out').fixed).toBe(true);
    expect(groupOf(analysis, 'b').fixed).toBe(false);
  });

  it('Conv2DTranspose 6 3x3 stride 2: owns its outputs, MACs counted per input pixel 6*6*3*3*4*6', () => {
    const { analysis, totals, row } = analyze(
      template((h) => apply(tf.layers.conv2dTranspose({ name: 'layer', filters: 6, kernelSize: 3, strides: 2, padding: 'same' }), h)),
    );
    expect(groupOf(analysis, 'layer').sources).toEqual(['layer']);
    expect(row('layer').macs).toBe(6 * 6 * 3 * 3 * 4 * 6);
    expect(row('layer').params).toBe(3 * 3 * 4 * 6 + 6);
    expect(row('b').macs).toBe(12 * 12 * 6 * 5);
    expect(totals.macs).toBe(MACS_A + 6 * 6 * 3 * 3 * 4 * 6 + 12 * 12 * 6 * 5 + MACS_OUT);
  });

  it('SeparableConv2D 6 3x3: depthwise 6*6*3*3*4 + pointwise 6*6*4*6 MACs, owns its outputs', () => {
    const { analysis, row } = analyze(template((h) => apply(tf.layers.separableConv2d({ name: 'layer', filters: 6, kernelSize: 3, padding: 'same' }), h)));
    expect(groupOf(analysis, 'layer').sources).toEqual(['layer']);
    expect(row('layer').macs).toBe(6 * 6 * 3 * 3 * 4 + 6 * 6 * 4 * 6);
    expect(row('layer').params).toBe(3 * 3 * 4 + 4 * 6 + 6);
  });

  it('DepthwiseConv2D multiplier 2: output channels 2i, 2i+1 belong to input channel i', () => {
    const { analysis, row } = analyze(
      template((h) => apply(tf.layers.depthwiseConv2d({ name: 'layer', kernelSize: 3, padding: 'same', depthMultiplier: 2, useBias: false }), h)),
    );
    expect(channelsOf(analysis, 'a', 'layer')).toEqual([[0, 1], [2, 3], [4, 5], [6, 7]]);
    expect(row('layer').macs).toBe(6 * 6 * 3 * 3 * 8);
    expect(row('layer').params).toBe(3 * 3 * 8);
    expect(row('b').macs).toBe(6 * 6 * 8 * 5);
  });

  it('Flatten then Dense: each channel of a feeds 6*6 dense inputs', () => {
    const { analysis, row } = analyze(template((h) => apply(tf.layers.flatten({ name: 'layer' }), h), 'dense'));
    expect(memberNames(analysis, 'a')).toContain('layer');
    expect(channelsOf(analysis, 'a', 'layer')[1]).toEqual(Array.from({ length: 36 }, (_, p) => p * 4 + 1));
    expect(row('b').macs).toBe(6 * 6 * 4 * 5);
  });

  it('Reshape: to [36, 4] keeps channels; to [144] flattens; to [6, 24] is a barrier', () => {
    const keep = analyze(template((h) => apply(tf.layers.reshape({ name: 'layer', targetShape: [36, 4] }), h), 'dense'));
    expect(memberNames(keep.analysis, 'a')).toContain('layer');
    expect(keep.row('b').macs).toBe(36 * 4 * 5);
    const flat = analyze(template((h) => apply(tf.layers.reshape({ name: 'layer', targetShape: [144] }), h), 'dense'));
    expect(flat.row('b').macs).toBe(144 * 5);
    expect(memberNames(flat.analysis, 'a')).toContain('layer');
    const mixed = analyze(template((h) => apply(tf.layers.reshape({ name: 'layer', targetShape: [6, 24] }), h), 'dense'));
    expect(mixed.analysis.barriers.map((b) => b.nodeId)).toEqual(['layer']);
    expect(groupOf(mixed.analysis, 'a').fixed).toBe(true);
  });

  /**
   *   input -> a1: Conv2D 4 ─┐
   *   input -> a2: Conv2D 4 ─┴─ MERGE -> b ...
   */
  const MERGES: Array<[string, (args: { name: string }) => tf.layers.Layer, string?]> = [
    ['Add', tf.layers.add],
    ['Subtract', tf.layers.add, 'Subtract'],
    ['Multiply', tf.layers.multiply],
    ['Average', tf.layers.average],
    ['Maximum', tf.layers.maximum],
    ['Minimum', tf.layers.minimum],
  ];
  for (const [className, factory, renameTo] of MERGES) {
    it(`${className}: both branches and the output are one group`, () => {
      const x = tf.input({ shape: [6, 6, 3], name: 'input' });
      const merged = apply(factory({ name: 'layer' }), [convA(x, 4, 'a1'), convA(x, 4, 'a2')]);
      const b = apply(tf.layers.conv2d({ name: 'b', filters: 5, kernelSize: 1, useBias: false }), merged);
      const out = apply(tf.layers.dense({ name: 'out', units: 2 }), apply(tf.layers.globalAveragePooling2d({}), b));
      const { analysis, totals } = analyze(tf.model({ inputs: x, outputs: out }), renameTo ? ['Add', renameTo] : undefined);
      const group = groupOf(analysis, 'a1');
      expect(group.sources).toEqual(['a1', 'a2']);
      expect(group.members.map((m) => m.nodeId)).toContain('layer');
      expect(group.width).toBe(4);
      expect(totals.macs).toBe(2 * MACS_A + 36 * 4 * 5 + MACS_OUT);
    });
  }

  it('Concatenate: each input is a slice of the output at its offset', () => {
    const x = tf.input({ shape: [6, 6, 3], name: 'input' });
    const merged = apply(tf.layers.concatenate({ name: 'layer' }), [convA(x, 4, 'a1'), convA(x, 3, 'a2')]);
    const b = apply(tf.layers.conv2d({ name: 'b', filters: 5, kernelSize: 1, useBias: false }), merged);
    const out = apply(tf.layers.dense({ name: 'out', units: 2 }), apply(tf.layers.globalAveragePooling2d({}), b));
    const { analysis, row } = analyze(tf.model({ inputs: x, outputs: out }));
    expect(channelsOf(analysis, 'a1', 'layer')).toEqual([[0], [1], [2], [3]]);
    expect(channelsOf(analysis, 'a2', 'layer')).toEqual([[4], [5], [6]]);
    expect(row('b').macs).toBe(36 * 7 * 5);
  });

  it('every registered class is covered by this contract', () => {
    const covered = new Set([
      ...PASSTHROUGH.map((c) => c.className),
      ...MERGES.map(([c]) => c),
      'GlobalAveragePooling2D', 'GlobalMaxPooling2D', 'InputLayer', 'Conv2D', 'Dense', 'Conv2DTranspose', 'SeparableConv2D',
      'DepthwiseConv2D', 'Flatten', 'Reshape', 'Concatenate',
    ]);
    expect(Object.keys(LAYER_HANDLERS).filter((c) => !covered.has(c))).toEqual([]);
  });
});

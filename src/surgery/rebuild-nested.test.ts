import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend/select.js';
import { countModel } from '../cost/count-model.js';
import { analyzeChannels, type ChannelAnalysis } from '../graph/channel-groups.js';
import { buildLayerGraph } from '../graph/build-graph.js';
import { loadModel } from '../model/load.js';
import { rebuildModel } from './rebuild.js';

const SHARED_MODELS = join(import.meta.dirname, '../../../shared/models');

beforeAll(async () => {
  await initBackend('cpu');
});

const analyze = (model: tf.LayersModel) => analyzeChannels(buildLayerGraph(model));
const groupOf = (analysis: ChannelAnalysis, layer: string) => analysis.groups.find((g) => g.members.some((m) => m.nodeId === layer))!;

/** Every group at its seed width except the one holding `layer`, set to `width`. */
function narrow(analysis: ChannelAnalysis, layer: string, width: number): number[] {
  const widths = analysis.groups.map((g) => g.width);
  widths[groupOf(analysis, layer).id] = width;
  return widths;
}

/**
 * A Keras-style base model (Functional):
 *   base_input[8,8,3] -> base_conv1: Conv2D 8 3x3 same -> base_bn1 -> base_relu1
 *                     -> base_last: Conv2D 16 1x1 -> base_bn2 -> base_relu2
 */
function baseModel(): tf.LayersModel {
  const x = tf.input({ shape: [8, 8, 3], name: 'base_input' });
  let h = tf.layers.conv2d({ name: 'base_conv1', filters: 8, kernelSize: 3, padding: 'same' }).apply(x) as tf.SymbolicTensor;
  h = tf.layers.batchNormalization({ name: 'base_bn1' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.reLU({ name: 'base_relu1' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.conv2d({ name: 'base_last', filters: 16, kernelSize: 1 }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.batchNormalization({ name: 'base_bn2' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.reLU({ name: 'base_relu2' }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: x, outputs: h, name: 'base' });
}

/**
 * Teachable Machine's nesting: outer Sequential > [features: Sequential > [base, gap], head: Sequential > [hidden: Dense 5 (input [16]), out: Dense 3]].
 * The head records its input shape [null, 16] in hidden's batch_input_shape.
 */
function teachableMachineNesting(): tf.Sequential {
  const features = tf.sequential({ name: 'features', layers: [baseModel(), tf.layers.globalAveragePooling2d({ name: 'gap' })] });
  const head = tf.sequential({
    name: 'head',
    layers: [tf.layers.dense({ name: 'hidden', units: 5, inputShape: [16], activation: 'relu' }), tf.layers.dense({ name: 'out', units: 3, activation: 'softmax' })],
  });
  return tf.sequential({ name: 'outer', layers: [features, head] });
}

function predictShape(model: tf.LayersModel, batch: number): number[] {
  return tf.tidy(() => (model.predict(tf.ones([batch, ...(model.inputs[0].shape.slice(1) as number[])])) as tf.Tensor).shape);
}

describe('surgery: a width change crosses nested models', () => {
  it('Sequential > Sequential > Functional with a nested Sequential head: base_last 16 -> 6 reaches the head built for 16 inputs', async () => {
    const seed = teachableMachineNesting();
    const analysis = analyze(seed);
    const rebuilt = await rebuildModel(seed, analysis, narrow(analysis, 'base_last', 6), 1);
    const head = rebuilt.getLayer('head') as tf.Sequential;
    // hidden's kernel follows the 6 channels the global pooling now gives: [6, 5].
    expect(head.getLayer('hidden').getWeights()[0].shape).toEqual([6, 5]);
    expect(predictShape(rebuilt, 2)).toEqual([2, 3]);
    // The rebuilt model's MACs: base_conv1 8*8*9*3*8, base_last 8*8*1*8*6, hidden 6*5, out 5*3.
    expect(countModel(rebuilt).totals.macs).toBe(8 * 8 * 9 * 3 * 8 + 8 * 8 * 8 * 6 + 6 * 5 + 5 * 3);
  });

  it('a Flatten between the nested base and a nested head: the head gets 8*8*6 inputs', async () => {
    // outer Sequential > [base, flatten, head: Sequential > [out: Dense 3 (input [8*8*16])]]
    const head = tf.sequential({ name: 'head', layers: [tf.layers.dense({ name: 'out', units: 3, inputShape: [8 * 8 * 16] })] });
    const seed = tf.sequential({ name: 'outer', layers: [baseModel(), tf.layers.flatten({ name: 'flatten' }), head] });
    const analysis = analyze(seed);
    const rebuilt = await rebuildModel(seed, analysis, narrow(analysis, 'base_last', 6), 1);
    expect((rebuilt.getLayer('head') as tf.Sequential).getLayer('out').getWeights()[0].shape).toEqual([8 * 8 * 6, 3]);
    expect(predictShape(rebuilt, 2)).toEqual([2, 3]);
  });

  it('a Functional model nested after a layer that narrows: its InputLayer follows the new channels', async () => {
    // outer: input[8,8,3] -> stem: Conv2D 12 1x1 -> tail (Functional: tail_input[8,8,12] -> tail_conv: Conv2D 4 3x3 same) -> gap -> out: Dense 2
    const tailInput = tf.input({ shape: [8, 8, 12], name: 'tail_input' });
    const tail = tf.model({ name: 'tail', inputs: tailInput, outputs: tf.layers.conv2d({ name: 'tail_conv', filters: 4, kernelSize: 3, padding: 'same' }).apply(tailInput) as tf.SymbolicTensor });
    const x = tf.input({ shape: [8, 8, 3], name: 'input' });
    let h = tf.layers.conv2d({ name: 'stem', filters: 12, kernelSize: 1 }).apply(x) as tf.SymbolicTensor;
    h = tail.apply(h) as tf.SymbolicTensor;
    h = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(h) as tf.SymbolicTensor;
    const seed = tf.model({ inputs: x, outputs: tf.layers.dense({ name: 'out', units: 2 }).apply(h) as tf.SymbolicTensor });
    const analysis = analyze(seed);
    const rebuilt = await rebuildModel(seed, analysis, narrow(analysis, 'stem', 5), 1);
    expect((rebuilt.getLayer('tail') as tf.LayersModel).getLayer('tail_conv').getWeights()[0].shape).toEqual([3, 3, 5, 4]);
    expect(predictShape(rebuilt, 1)).toEqual([1, 2]);
  });

  it("a Reshape's target shape follows the channels it carries: [36, 4] -> [36, 3] and [144] -> [6*6*3]", async () => {
    // input[6,6,2] -> c: Conv2D 4 1x1 -> keep: Reshape [36, 4] -> flat: Reshape [144] -> out: Dense 2
    const x = tf.input({ shape: [6, 6, 2], name: 'input' });
    let h = tf.layers.conv2d({ name: 'c', filters: 4, kernelSize: 1 }).apply(x) as tf.SymbolicTensor;
    h = tf.layers.reshape({ name: 'keep', targetShape: [36, 4] }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.reshape({ name: 'flat', targetShape: [144] }).apply(h) as tf.SymbolicTensor;
    const seed = tf.model({ inputs: x, outputs: tf.layers.dense({ name: 'out', units: 2 }).apply(h) as tf.SymbolicTensor });
    const analysis = analyze(seed);
    const rebuilt = await rebuildModel(seed, analysis, narrow(analysis, 'c', 3), 1);
    expect(rebuilt.getLayer('keep').outputShape).toEqual([null, 36, 3]);
    expect(rebuilt.getLayer('out').getWeights()[0].shape).toEqual([6 * 6 * 3, 2]);
    expect(predictShape(rebuilt, 1)).toEqual([1, 2]);
  });

  it('the Teachable Machine MobileNetV2: Conv_1 1280 -> 880 rebuilds a head of 880 inputs that predicts 30 classes', async () => {
    const seed = await loadModel({ path: join(SHARED_MODELS, 'teachable-machine-mobilenetv2/model.json') });
    const analysis = analyze(seed);
    const rebuilt = await rebuildModel(seed, analysis, narrow(analysis, 'Conv_1', 880), 1);
    const dense = (rebuilt.layers[1] as tf.Sequential).layers[0];
    expect(dense.getWeights()[0].shape).toEqual([880, 100]);
    expect(predictShape(rebuilt, 1)).toEqual([1, 30]);
  });
});

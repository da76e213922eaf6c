import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend/select.js';
import { analyzeChannels } from '../graph/channel-groups.js';
import { buildLayerGraph } from '../graph/build-graph.js';
import { loadModel } from '../model/load.js';
import { CostModel } from './cost-model.js';
import { countModel } from './count-model.js';
import { BUILTIN_HARDWARE } from './hardware.js';

const SHARED_MODELS = join(import.meta.dirname, '../../../shared/models');

beforeAll(async () => {
  await initBackend('cpu');
});

/**
 *   input[8,8,2] -> c1: Conv2D 4 3x3 same (no bias) -> c2: Conv2D 6 3x3 same (no bias) -> gap -> out: Dense 3
 */
function chain() {
  const x = tf.input({ shape: [8, 8, 2], name: 'input' });
  const c1 = tf.layers.conv2d({ name: 'c1', filters: 4, kernelSize: 3, padding: 'same', useBias: false }).apply(x) as tf.SymbolicTensor;
  const c2 = tf.layers.conv2d({ name: 'c2', filters: 6, kernelSize: 3, padding: 'same', useBias: false }).apply(c1) as tf.SymbolicTensor;
  const gap = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(c2) as tf.SymbolicTensor;
  return tf.model({ inputs: x, outputs: tf.layers.dense({ name: 'out', units: 3 }).apply(gap) as tf.SymbolicTensor });
}

describe('cost model', () => {
  it('counts the structure with some channels dead', () => {
    const analysis = analyzeChannels(buildLayerGraph(chain()));
    const model = new CostModel(analysis);
    const alive = model.allAlive();
    const c1 = analysis.groups.find((g) => g.sources.includes('c1'))!;
    const c2 = analysis.groups.find((g) => g.sources.includes('c2'))!;
    alive[c1.components[0]] = 0; // c1: 3 of 4 alive
    alive[c2.components[1]] = 0;
    alive[c2.components[2]] = 0; // c2: 4 of 6 alive
    // c1: 8*8*9 * 2*3; c2: 8*8*9 * 3*4; out: 4*3.
    const macs = 8 * 8 * 9 * 2 * 3 + 8 * 8 * 9 * 3 * 4 + 4 * 3;
    expect(model.evaluate(alive).totals.macs).toBe(macs);
    expect(model.resource('flops', alive)).toBe(2 * macs);
    // size: the trainable parameters, as Keras counts them: kernels 9*2*3 + 9*3*4 + 4*3 and out's bias 3.
    expect(model.resource('size', alive)).toBe(9 * 2 * 3 + 9 * 3 * 4 + 4 * 3 + 3);
    expect(model.resource('size', alive)).toBe(model.evaluate(alive).totals.params);
    // activations: alive output channels of FLOP layers: 3 + 4 + 3.
    expect(model.resource('activations', alive)).toBe(3 + 4 + 3);
  });

  it('the regularizer is the FLOP cost in differentiable form: each channel weighted by its dR/dS', () => {
    const analysis = analyzeChannels(buildLayerGraph(chain()));
    const model = new CostModel(analysis);
    const alive = model.allAlive();
    const weights = model.regularizationWeights('flops', alive);
    const c1 = analysis.groups.find((g) => g.sources.includes('c1'))!;
    const c2 = analysis.groups.find((g) => g.sources.includes('c2'))!;
    // A c1 channel is an output of c1 (C1 * A_in, A_in = 2 fixed input channels) and an input of
    // c2 (C2 * A_out = 6); C = 2 FLOPs * 8*8*9.
    expect(weights[c1.components[0]]).toBe(2 * 8 * 8 * 9 * 2 + 2 * 8 * 8 * 9 * 6);
    // A c2 channel: output of c2 (C2 * 4) and input of the dense (2 * 3 outputs).
    expect(weights[c2.components[0]]).toBe(2 * 8 * 8 * 9 * 4 + 2 * 3);
    // Fixed channels (input, logits) are not regularized.
    const fixed = analysis.groups.filter((g) => g.fixed).flatMap((g) => g.components);
    expect(fixed.every((c) => weights[c] === 0)).toBe(true);
  });

  it('size is the trainable parameters, and its regularizer weights each channel by every weight it carries', () => {
    //   input[4,4,2] -> c: Conv2D 3 1x1 (bias) -> bn: BatchNormalization -> gap -> out: Dense 2 (bias)
    const x = tf.input({ shape: [4, 4, 2], name: 'input' });
    const c = tf.layers.conv2d({ name: 'c', filters: 3, kernelSize: 1 }).apply(x) as tf.SymbolicTensor;
    const bn = tf.layers.batchNormalization({ name: 'bn' }).apply(c) as tf.SymbolicTensor;
    const gap = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(bn) as tf.SymbolicTensor;
    const model = tf.model({ inputs: x, outputs: tf.layers.dense({ name: 'out', units: 2 }).apply(gap) as tf.SymbolicTensor });
    const analysis = analyzeChannels(buildLayerGraph(model));
    const costModel = new CostModel(analysis);
    const alive = costModel.allAlive();
    // c: kernel 1*1*2*3 + bias 3; bn: gamma and beta 2*3; out: kernel 3*2 + bias 2.
    expect(costModel.resource('size', alive)).toBe(2 * 3 + 3 + 2 * 3 + 3 * 2 + 2);
    expect(costModel.resource('size', alive)).toBe(model.countParams() - 2 * 3); // Keras's trainable count (moving stats aside)
    // d size / d S for a channel of c's group: c's kernel column (A_in = 2), its bias (1), bn's
    // gamma and beta (2), and out's kernel row (A_out = 2).
    const group = analysis.groups.find((g) => g.sources.includes('c'))!;
    expect(costModel.regularizationWeights('size', alive)[group.components[0]]).toBe(2 + 1 + 2 + 2);
  });

  it('latency is the roofline per FLOP layer: max(FLOPs / peak, bytes / bandwidth)', () => {
    const analysis = analyzeChannels(buildLayerGraph(chain()));
    const { layers } = new CostModel(analysis).evaluate(undefined, { hardware: BUILTIN_HARDWARE.T4, batchSize: 1 });
    const c1 = layers.find((l) => l.name === 'c1')!;
    // c1: FLOPs 2*8*8*9*2*4 = 9216 -> 9216 / 8100e9 s; bytes 4*(8*8*2 + 8*8*4 + 9*2*4) = 1824 -> 1824 / 300e9 s.
    const expectedMs = Math.max(9216 / 8100e9, 1824 / 300e9) * 1e3;
    expect(c1.latency).toBeCloseTo(expectedMs, 15);
  });

  it('MobileNetV1 1.0-224 counts the published 568,740,352 MACs and 4,231,976 params', async () => {
    const report = countModel(await loadModel({ zoo: 'zoo:mobilenet-v1' }));
    expect(report.totals.macs).toBe(568_740_352);
    expect(report.totals.params).toBe(4_231_976);
    expect(report.barriers).toEqual([]);
  });

  it('MobileNetV1 0.5-224 at 1001 classes: about 150M MACs and 1.34M params, as published', async () => {
    const report = countModel(await loadModel({ zoo: 'zoo:mobilenet-v1?width=0.5&classes=1001' }));
    expect(Math.abs(report.totals.macs - 150e6) / 150e6).toBeLessThan(0.01);
    expect(Math.abs(report.totals.params - 1.34e6) / 1.34e6).toBeLessThan(0.01);
  });

  it('the Teachable Machine MobileNetV2 groups every residual Add with the projections it ties, no barriers', async () => {
    const report = countModel(await loadModel({ path: join(SHARED_MODELS, 'teachable-machine-mobilenetv2/model.json') }));
    expect(report.barriers).toEqual([]);
    const adds = report.layers.filter((l) => l.className === 'Add').map((l) => l.name);
    expect(adds.length).toBe(10);
    for (const add of adds) {
      const group = report.groups.find((g) => g.layers.includes(add))!;
      const block = Number(/block_(\d+)_add/.exec(add)![1]);
      // The Add ties its own block's projection and the projection feeding the skip path.
      expect(group.layers).toContain(`block_${block}_project`);
      expect(group.sources.length).toBeGreaterThanOrEqual(2);
      expect(group.fixed).toBe(false);
    }
  });

  it('counts the Keras MLP: 784*128 + 128*128 + 128*10 MACs', async () => {
    const report = countModel(await loadModel({ path: join(SHARED_MODELS, 'keras-mlp-mnist/model.json') }));
    expect(report.totals.macs).toBe(784 * 128 + 128 * 128 + 128 * 10);
    expect(report.totals.params).toBe(784 * 128 + 128 + 128 * 128 + 128 + 128 * 10 + 10);
  });

  it('an unsupported layer (Conv1D, LSTM) is a named barrier, and the rest is still counted', () => {
    const x = tf.input({ shape: [16, 4], name: 'input' });
    let h = tf.layers.conv1d({ name: 'conv1d', filters: 8, kernelSize: 3 }).apply(x) as tf.SymbolicTensor;
    h = tf.layers.lstm({ name: 'lstm', units: 6 }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.dense({ name: 'hidden', units: 5 }).apply(h) as tf.SymbolicTensor;
    const out = tf.layers.dense({ name: 'out', units: 2 }).apply(h) as tf.SymbolicTensor;
    const report = countModel(tf.model({ inputs: x, outputs: out }));
    expect(report.barriers.map((b) => `${b.name}:${b.className}`)).toEqual(['conv1d:Conv1D', 'lstm:LSTM']);
    expect(report.totals.macs).toBe(6 * 5 + 5 * 2);
    // Barrier params come from their weights: conv1d 3*4*8 + 8; lstm 4*(8*6 + 6*6 + 6).
    expect(report.totals.params).toBe(3 * 4 * 8 + 8 + 4 * (8 * 6 + 6 * 6 + 6) + 6 * 5 + 5 + 5 * 2 + 2);
    expect(report.groups.find((g) => g.sources.includes('hidden'))!.fixed).toBe(false);
  });
});

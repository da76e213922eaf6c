import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../backend/select.js';
import { InitSeeds } from './blocks.js';
import { cnn } from './cnn.js';
import { buildZooModel, parseZooSpec, ZOO, zooOptions } from './registry.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const trainableParams = (model: tf.LayersModel) => model.trainableWeights.reduce((sum, w) => sum + w.shape.reduce((a, b) => a! * b!, 1)!, 0);

describe('zoo', () => {
  it('MobileNetV1 1.0-224 has the published 4,231,976 trainable parameters', () => {
    const model = buildZooModel('mobilenet-v1');
    // conv1: 3*3*3*32 + BN 2*32; 13 blocks of depthwise 3*3*C + BN 2C, pointwise C*F + BN 2F; dense 1024*1000 + 1000.
    const blocks: Array<[number, number]> = [[32, 64], [64, 128], [128, 128], [128, 256], [256, 256], [256, 512], [512, 512], [512, 512], [512, 512], [512, 512], [512, 512], [512, 1024], [1024, 1024]];
    const expected = 3 * 3 * 3 * 32 + 2 * 32 + blocks.reduce((sum, [c, f]) => sum + 9 * c + 2 * c + c * f + 2 * f, 0) + 1024 * 1000 + 1000;
    expect(expected).toBe(4_231_976);
    expect(trainableParams(model)).toBe(expected);
    tf.dispose(model.weights.map((w) => w.read()));
  });

  it('builders take their seed as an argument: the same seed gives the same weights, whatever was built in between', () => {
    const weights = (model: tf.LayersModel) => model.weights.map((w) => Array.from(w.read().dataSync()));
    const first = weights(buildZooModel('cnn', { width: 0.25 }, 3));
    buildZooModel('mlp', { width: 0.25 }, 9);
    expect(weights(buildZooModel('cnn', { width: 0.25 }, 3))).toEqual(first);
    expect(weights(cnn(zooOptions('cnn', { width: 0.25 }), new InitSeeds(3)))).toEqual(first);
    expect(weights(buildZooModel('cnn', { width: 0.25 }, 4))[0]).not.toEqual(first[0]);
  });

  it('parses zoo specs with options', () => {
    expect(parseZooSpec('zoo:resnet20?width=0.5&classes=100')).toEqual({ name: 'resnet20', options: { width: '0.5', classes: '100' } });
  });

  it('rejects unknown models and options with the valid choices', () => {
    expect(() => buildZooModel('resnet21')).toThrow(/available: mlp, cnn, resnet20/);
    expect(() => buildZooModel('cnn', { depth: 3 })).toThrow(/options are width, inputShape, classes/);
    expect(() => buildZooModel('cnn', { width: -1 })).toThrow(/expected a positive number, received -1/);
  });

  it('VGG-16 keeps a pixel through its five poolings of a 28x28 picture (28, 14, 7, 4, 2, 1)', () => {
    const model = buildZooModel('vgg16', { inputShape: [28, 28, 1], width: 0.25 });
    const pooled = [1, 2, 3, 4, 5].map((block) => model.getLayer(`block${block}_pool`).outputShape);
    // width 0.25: blocks of 16, 32, 64, 128, 128 channels
    expect(pooled).toEqual([[null, 14, 14, 16], [null, 7, 7, 32], [null, 4, 4, 64], [null, 2, 2, 128], [null, 1, 1, 128]]);
  });

  it('refuses an inputShape so small that a layer would output nothing, naming the layer', () => {
    // inception-mini: two 2x2 'valid' poolings; a 2x2 picture pools to 1x1, then to 0x0 at pool1
    expect(() => buildZooModel('inception-mini', { inputShape: [2, 2, 3] })).toThrow(/inputShape: 2,2,3 is too small for this architecture: layer pool1 would output \[0, 0, /);
  });

  // Every zoo model trains on the wasm backend: one SGD step on small inputs, finite loss,
  // weights change, and no tensors leak.
  const SMALL_INPUT: Record<string, number[]> = { 'mobilenet-v1': [32, 32, 3], 'mobilenet-v2': [32, 32, 3] };
  for (const name of Object.keys(ZOO)) {
    it(`${name} trains on wasm: finite loss, weights move, no tensor leaks between steps`, () => {
      const model = buildZooModel(name, { ...(SMALL_INPUT[name] ? { inputShape: SMALL_INPUT[name] } : {}), classes: 5 });
      const shape = (model.inputs[0].shape as number[]).slice(1);
      const optimizer = tf.train.momentum(0.1, 0.9);
      const x = tf.randomNormal([4, ...shape], 0, 1, 'float32', 1);
      const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), 5);
      const firstKernel = model.trainableWeights[0].read().clone();
      const step = () =>
        tf.tidy(() => optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor), true)!.dataSync()[0]);
      const firstLoss = step();
      const afterFirst = tf.memory().numTensors;
      step();
      expect(tf.memory().numTensors).toBe(afterFirst);
      expect(Number.isFinite(firstLoss)).toBe(true);
      const changed = tf.tidy(() => tf.any(tf.notEqual(firstKernel, model.trainableWeights[0].read())).dataSync()[0]);
      expect(changed).toBe(1);
      tf.dispose([x, y, firstKernel]);
      optimizer.dispose();
    });
  }
});

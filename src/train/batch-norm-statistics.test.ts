import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { makeSamples } from '../data/dataset.js';
import { ChannelMoments, estimateBatchNormStatistics } from './batch-norm-statistics.js';

describe('ChannelMoments', () => {
  it('merges batches into the mean and population variance of all values', () => {
    // Channel 0 sees 1, 2, 3 then 4, 5: mean 15 / 5 = 3, variance (4 + 1 + 0 + 1 + 4) / 5 = 2.
    // Channel 1 sees 10, 10, 10 then 20, 20: mean 70 / 5 = 14, variance (3 * 16 + 2 * 36) / 5 = 24.
    const moments = new ChannelMoments(2);
    moments.add([2, 10], [2 / 3, 0], 3); // batch means and biased variances of (1, 2, 3) and (10, 10, 10)
    moments.add([4.5, 20], [0.25, 0], 2); // of (4, 5) and (20, 20)
    expect(moments.count).toBe(5);
    expect(Array.from(moments.mean)).toEqual([3, 14]);
    const variance = moments.variance();
    expect(variance[0]).toBeCloseTo(2, 12);
    expect(variance[1]).toBeCloseTo(24, 12);
  });
});

describe('estimateBatchNormStatistics', () => {
  /**
   * input [2] -> Dense(2, kernel diag(2, -1), bias (1, 0)) -> Dropout(0.5) -> nested Sequential[BN] -> output
   * The BN layer sees (2 x0 + 1, -x1). Dropout must stay off (inference), or the statistics change.
   */
  function tinyModel() {
    const input = tf.input({ shape: [2] });
    const dense = tf.layers.dense({ units: 2, weights: [tf.tensor2d([[2, 0], [0, -1]]), tf.tensor1d([1, 0])] });
    const nested = tf.sequential({ layers: [tf.layers.batchNormalization({ inputShape: [2], momentum: 0.99 })] });
    const output = nested.apply(tf.layers.dropout({ rate: 0.5 }).apply(dense.apply(input))) as tf.SymbolicTensor;
    return tf.model({ inputs: input, outputs: output });
  }

  it('sets the moving statistics to the exact mean and variance of what each BN layer sees', () => {
    // x0 = 0..9, x1 = 10 x0: BN input channel 0 is 2 x0 + 1 (mean 2 * 4.5 + 1 = 10, variance 4 * 8.25 = 33),
    // channel 1 is -x1 (mean -45, variance 100 * 8.25 = 825); var(0..9) = (99 - 0) ... = 8.25.
    const values = new Float32Array(20);
    for (let i = 0; i < 10; i++) values.set([i, 10 * i], 2 * i);
    const samples = makeSamples(values, new Int32Array(10), [2]);
    const model = tinyModel();
    const used = estimateBatchNormStatistics(model, samples, { numSamples: 100, seed: 3 });
    expect(used).toBe(10);
    const bn = (model.layers[3] as tf.Sequential).layers[0] as unknown as { movingMean: tf.LayerVariable; movingVariance: tf.LayerVariable };
    const mean = bn.movingMean.read().dataSync();
    const variance = bn.movingVariance.read().dataSync();
    expect(mean[0]).toBeCloseTo(10, 5);
    expect(mean[1]).toBeCloseTo(-45, 4);
    expect(variance[0]).toBeCloseTo(33, 4);
    expect(variance[1]).toBeCloseTo(825, 2);
    // Inference now normalizes each channel to mean 0 and variance 1 over these samples (epsilon 1e-3 aside).
    const y = model.predict(tf.tensor2d(values, [10, 2])) as tf.Tensor;
    const moments = tf.moments(y, 0);
    expect(Array.from(moments.mean.dataSync()).map((v) => Math.abs(v) < 1e-5)).toEqual([true, true]);
    expect(moments.variance.dataSync()[1]).toBeCloseTo(825 / (825 + 1e-3), 5);
  });

  it('uses a seeded subset of numSamples samples, leaves no tensor behind and restores the layers', () => {
    const values = Float32Array.from({ length: 200 }, (_, i) => (i * 37) % 11);
    const samples = makeSamples(values, new Int32Array(100), [2]);
    const model = tinyModel();
    const before = tf.memory().numTensors;
    expect(estimateBatchNormStatistics(model, samples, { numSamples: 30, seed: 5 })).toBe(30);
    expect(tf.memory().numTensors).toBe(before);
    const bn = (model.layers[3] as tf.Sequential).layers[0];
    expect(Object.hasOwn(bn, 'call')).toBe(false);
    // The same seed picks the same subset; another seed (almost surely) another one.
    const meanOf = (seed: number) => {
      const m = tinyModel();
      estimateBatchNormStatistics(m, samples, { numSamples: 30, seed });
      return ((m.layers[3] as tf.Sequential).layers[0] as unknown as { movingMean: tf.LayerVariable }).movingMean.read().dataSync()[0];
    };
    expect(meanOf(5)).toBe(meanOf(5));
    expect(meanOf(5)).not.toBe(meanOf(6));
  });

  it('does nothing to a model without BatchNormalization', () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 1 })] });
    expect(estimateBatchNormStatistics(model, makeSamples(new Float32Array(4), new Int32Array(2), [2]), { numSamples: 10, seed: 1 })).toBe(0);
  });
});

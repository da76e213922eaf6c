import * as tf from '@tensorflow/tfjs';
import { loadMnist } from '../../src/data/sources/mnist.js';
import { permutation } from '../../src/data/random.js';
import { buildZooModel } from '../../src/model/zoo/registry.js';
import { CNN_CONVS } from './cnn-weights.js';
import type { ShrinkHyperparameters } from './our-steps.js';

/** A step-by-step comparison: its length, its hyperparameters, and the gammas the seed starts with. */
export interface StepRegime {
  name: string;
  steps: number;
  hyperparameters: ShrinkHyperparameters;
  /** The first gammas of every BN (the others stay 1), so that channels die within the run. */
  smallGammas: number[];
}

/**
 * The regime of test/reference/gamma-flops.test.ts: learning rate 0.01 is not chaotic (float32
 * and float64 runs stay within 1e-5 over 50 steps), and lambda 2e-7 with four small gammas per
 * BN kills channels (and brings some back) under way.
 */
export const TEST_REGIME: StepRegime = {
  name: 'test regime (lr 0.01, lambda 2e-7, small gammas)',
  steps: 50,
  hyperparameters: { lambda: 2e-7, threshold: 0.01, learningRate: 0.01, momentum: 0.9, batchSize: 16 },
  smallGammas: [0.02, 0.04, 0.06, 0.08],
};

/** A regime where float32 rounding grows until runs part: gammas are driven through zero at lr 0.05. */
export const CHAOTIC_REGIME: StepRegime = {
  name: 'chaotic regime (lr 0.05, lambda 5e-7)',
  steps: 50,
  hyperparameters: { lambda: 5e-7, threshold: 0.01, learningRate: 0.05, momentum: 0.9, batchSize: 16 },
  smallGammas: [],
};

/** The seed zoo:cnn (seed 1) with the first gammas of each BN set to `smallGammas`. */
export function seedCnn(smallGammas: number[]): tf.LayersModel {
  const model = buildZooModel('cnn', {}, 1);
  for (const conv of CNN_CONVS) {
    const bn = model.getLayer(`${conv}_bn`);
    const [gamma, ...rest] = bn.getWeights();
    const values = Array.from(gamma.dataSync());
    smallGammas.forEach((g, i) => {
      values[i] = g;
    });
    bn.setWeights([tf.tensor1d(values), ...rest]);
  }
  return model;
}

/** `steps` batches of `batchSize` shuffled digits of the shipped mnist package (values in [0, 1]), one after another. */
export function mnistBatches(steps: number, batchSize: number): { x: Float32Array; labels: Int32Array } {
  const train = loadMnist().train;
  const indices = permutation(train.count, 1).subarray(0, steps * batchSize);
  const x = new Float32Array(indices.length * 28 * 28);
  train.read(indices, x);
  return { x, labels: Int32Array.from(indices, (i) => train.labels[i]) };
}

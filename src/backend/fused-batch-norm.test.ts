import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { installFusedBatchNorm } from './fused-batch-norm.js';
import { initBackend } from './select.js';

/**
 * conv (odd sizes, no bias: BN cancels a bias, whose gradient is 0 up to rounding) -> BN (gamma,
 * beta random) -> ReLU -> dense: loss, gradients, moving statistics after one training pass.
 */
function trainingPass(filters: number): Float32Array[] {
  const input = tf.input({ shape: [7, 9, 3] });
  const conv = tf.layers.conv2d({ filters, kernelSize: 3, useBias: false, kernelInitializer: tf.initializers.randomNormal({ seed: 1 }) }).apply(input) as tf.SymbolicTensor;
  const bn = tf.layers.batchNormalization({
    momentum: 0.9,
    gammaInitializer: tf.initializers.randomUniform({ minval: 0.2, maxval: 2, seed: 2 }),
    betaInitializer: tf.initializers.randomUniform({ minval: -1, maxval: 1, seed: 3 }),
  });
  const normalized = tf.layers.reLU().apply(bn.apply(conv) as tf.SymbolicTensor) as tf.SymbolicTensor;
  const flat = tf.layers.flatten().apply(normalized) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 4, kernelInitializer: tf.initializers.randomNormal({ seed: 4 }) }).apply(flat) as tf.SymbolicTensor });
  const x = tf.randomNormal([6, 7, 9, 3], 0.5, 2, 'float32', 5);
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(model.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar);
  const moving = bn.getWeights().slice(2); // moving mean, moving variance
  return [value, ...Object.values(grads), ...moving].map((t) => t.dataSync() as Float32Array);
}

function maxRelativeError(actual: Float32Array, expected: Float32Array): number {
  const scale = Math.max(1e-6, ...Array.from(expected, Math.abs));
  return Math.max(...Array.from(actual, (a, i) => Math.abs(a - expected[i]) / scale));
}

describe('BatchNormalization in training with one fused backward pass', () => {
  // On wasm, batch-norm.wat: 3 channels go one at a time, 5 as a vector and one, 8 as two vectors.
  const FILTERS = [3, 5, 8];
  const references = new Map<number, Float32Array[]>();
  beforeAll(async () => {
    // tfjs's own BatchNormalization, before initBackend installs the fused one.
    await tf.setBackend('cpu');
    for (const filters of FILTERS) references.set(filters, trainingPass(filters));
  });

  it.each(FILTERS)('gives the loss, every gradient and the moving statistics tfjs gives, on cpu and on wasm (%i channels)', async (filters) => {
    const reference = references.get(filters)!;
    await initBackend('cpu');
    const fused = trainingPass(filters);
    await initBackend('wasm');
    const onWasm = trainingPass(filters);
    expect(fused.length).toBe(reference.length);
    // value, conv kernel, gamma, beta, dense kernel, dense bias, moving mean, moving variance
    expect(reference.length).toBe(8);
    reference.forEach((expected, i) => {
      expect(maxRelativeError(fused[i], expected), `output ${i} on cpu`).toBeLessThan(1e-4);
      expect(maxRelativeError(onWasm[i], expected), `output ${i} on wasm`).toBeLessThan(1e-4);
    });
  });

  it.each(['cpu', 'wasm'])('trains BatchNormalization without scale or center, where the tfjs training path throws (%s)', async (backend) => {
    // x = [1, 3] and [5, 7] in two channels over 2 samples: means 3 and 5, variances 4 and 4,
    // so with epsilon 0 the outputs are -1 and 1 in both channels (plus beta 0.5 with center).
    installFusedBatchNorm();
    await tf.setBackend(backend);
    const input = tf.input({ shape: [2] });
    const withCenter = tf.layers.batchNormalization({ scale: false, epsilon: 0, betaInitializer: tf.initializers.constant({ value: 0.5 }) });
    const bare = tf.layers.batchNormalization({ scale: false, center: false, epsilon: 0 });
    const model = tf.model({ inputs: input, outputs: [withCenter.apply(input) as tf.SymbolicTensor, bare.apply(input) as tf.SymbolicTensor] });
    const [centered, plain] = model.apply(tf.tensor2d([[1, 3], [5, 7]]), { training: true }) as tf.Tensor[];
    expect(Array.from(centered.dataSync())).toEqual([-0.5, -0.5, 1.5, 1.5]);
    expect(Array.from(plain.dataSync())).toEqual([-1, -1, 1, 1]);
  });
});

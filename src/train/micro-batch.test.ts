import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend/select.js';
import { buildZooModel } from '../model/zoo/registry.js';
import { microBatchFor } from './loop.js';
import { crossEntropy } from './loss.js';
import { outputFloatsPerSample, planMicroBatches, WASM_HEAP_BYTES } from './memory.js';
import { createOptimizer } from './optimizer.js';
import { trainStep } from './train-step.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const MOMENTUM = { name: 'momentum' as const, learningRate: 0.05, momentum: 0.9 };

function randomBatch(shape: number[], seed: number): { x: tf.Tensor; labels: tf.Tensor } {
  return { x: tf.randomUniform(shape, 0, 1, 'float32', seed), labels: tf.randomUniform([shape[0]], 0, 10, 'int32', seed + 1) };
}

/**
 * The reference, written out by hand: each slice's mean loss and its gradients, combined as
 * sum(n_i / B * g_i), applied once.
 */
function handSplitStep(model: tf.LayersModel, optimizer: tf.Optimizer, x: tf.Tensor, labels: tf.Tensor, sizes: number[]): number {
  const batch = x.shape[0];
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  let offset = 0;
  let loss = 0;
  const parts: Array<{ share: number; grads: tf.NamedTensorMap }> = [];
  for (const size of sizes) {
    const begin = offset;
    const { value, grads } = tf.variableGrads(() => {
      const xs = x.slice([begin, 0, 0, 0], [size, -1, -1, -1]);
      const output = model.apply(xs, { training: true }) as tf.Tensor;
      return crossEntropy(output, labels.slice([begin], [size]), 10, 'probabilities');
    }, variables);
    loss += (value.dataSync()[0] * size) / batch;
    value.dispose();
    parts.push({ share: size / batch, grads });
    offset += size;
  }
  const combined = tf.tidy(() => Object.fromEntries(Object.keys(parts[0].grads).map((name) => [name, tf.addN(parts.map((p) => tf.mul(p.grads[name], p.share)))])));
  optimizer.applyGradients(combined);
  tf.dispose([...Object.values(combined), ...parts.flatMap((p) => Object.values(p.grads))]);
  return loss;
}

describe('the memory a training step needs on wasm', () => {
  it('counts the floats every layer outputs and splits batches that would not fit 4 GiB', () => {
    const resnet = buildZooModel('resnet-small');
    // 17 layers output 32 x 32 x 64 = 65,536 floats (conv1, its BN and ReLU; per block conv,
    // BN, ReLU, conv, BN, add, ReLU, twice), then global pooling 64 and the dense layer 10.
    expect(outputFloatsPerSample(resnet)).toBe(17 * 65_536 + 64 + 10);
    // 1,114,186 floats x 30 bytes = 33,425,580 bytes a sample; the budget is 4 GiB - 384 MiB =
    // 3,892,314,112 bytes, which holds 116 samples. 256 = 3 passes of at most 86 (86 + 86 + 84);
    // 128 = 2 passes of 64; 100 fits in one.
    expect(planMicroBatches(resnet, 256)).toMatchObject({ size: 86, count: 3 });
    expect(planMicroBatches(resnet, 128)).toMatchObject({ size: 64, count: 2 });
    expect(planMicroBatches(resnet, 100)).toMatchObject({ size: 100, count: 1 });
    expect(microBatchFor(resnet, 100)).toBeUndefined();
    expect(() => planMicroBatches(resnet, 8, 200 * 1024 ** 2)).toThrow(/one training sample of this model needs about 0\.03 GiB of the wasm heap, which holds 0\.20 GiB/);
    expect(WASM_HEAP_BYTES).toBe(4_294_967_296);
  });
});

/** Builds a model inside tf.tidy (typed: tidy's signature admits tensors only). */
const tidyModel = (build: () => tf.LayersModel): tf.LayersModel => tf.tidy(build as unknown as () => tf.TensorContainer) as unknown as tf.LayersModel;

describe('gradient accumulation over micro-batches', () => {
  it('gives a model without BatchNormalization the same 5 steps as whole batches', () => {
    // tf.tidy frees the initializers' temporaries; the model's variables outlive it.
    const build = () =>
      tidyModel(() => {
        const input = tf.input({ shape: [10, 10, 3] });
        const conv = tf.layers.conv2d({ filters: 6, kernelSize: 3, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }).apply(input) as tf.SymbolicTensor;
        const pooled = tf.layers.globalAveragePooling2d({}).apply(conv) as tf.SymbolicTensor;
        return tf.model({ inputs: input, outputs: tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }).apply(pooled) as tf.SymbolicTensor });
      });
    const whole = build();
    const split = build();
    const [optimizerA, optimizerB] = [createOptimizer(MOMENTUM), createOptimizer(MOMENTUM)];
    const options = { numClasses: 10, outputKind: 'probabilities' as const };
    for (let step = 0; step < 5; step++) {
      const { x, labels } = randomBatch([24, 10, 10, 3], 10 + step);
      const a = trainStep(whole, optimizerA, x, labels, options);
      const b = trainStep(split, optimizerB, x, labels, { ...options, microBatchSize: 7 }); // 7 + 7 + 7 + 3
      expect(Math.abs(a.loss - b.loss)).toBeLessThan(1e-5);
      tf.dispose([x, labels]);
    }
    const [wa, wb] = [whole.getWeights()[0].dataSync(), split.getWeights()[0].dataSync()];
    let worst = 0;
    for (let i = 0; i < wa.length; i++) worst = Math.max(worst, Math.abs(wa[i] - wb[i]));
    expect(worst).toBeLessThan(1e-5);
  });

  it('gives a model with BatchNormalization and a residual add the same 5 steps as the batch split by hand, to 1e-5', () => {
    /**
     * input 12x12x3 -> conv_a 8 3x3 same -> bn_a -> relu -> conv_b 8 3x3 same -> bn_b -> add(relu, bn_b) -> GAP -> dense 10
     * Batch 24 in micro-batches of 7: 7 + 7 + 7 + 3, an uneven last slice as resnet-small's 86 + 86 + 84.
     * BN normalises each micro-batch with its own statistics and moves its averages once per pass,
     * so the hand split reproduces the automatic one only if both slice, weight and combine alike.
     */
    const build = () =>
      tidyModel(() => {
        const input = tf.input({ shape: [12, 12, 3] });
        const conv = (name: string, seed: number) => tf.layers.conv2d({ name, filters: 8, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: tf.initializers.heNormal({ seed }) });
        const a = tf.layers.reLU().apply(tf.layers.batchNormalization({ name: 'bn_a' }).apply(conv('conv_a', 5).apply(input))) as tf.SymbolicTensor;
        const b = tf.layers.batchNormalization({ name: 'bn_b' }).apply(conv('conv_b', 6).apply(a)) as tf.SymbolicTensor;
        const sum = tf.layers.add().apply([a, b]) as tf.SymbolicTensor;
        const pooled = tf.layers.globalAveragePooling2d({}).apply(sum) as tf.SymbolicTensor;
        return tf.model({ inputs: input, outputs: tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 7 }) }).apply(pooled) as tf.SymbolicTensor });
      });
    const automatic = build();
    const byHand = build();
    const [optimizerA, optimizerB] = [createOptimizer(MOMENTUM), createOptimizer(MOMENTUM)];
    for (let step = 0; step < 5; step++) {
      const { x, labels } = randomBatch([24, 12, 12, 3], 100 + step);
      const lossA = trainStep(automatic, optimizerA, x, labels, { numClasses: 10, outputKind: 'probabilities', microBatchSize: 7 }).loss;
      const lossB = handSplitStep(byHand, optimizerB, x, labels, [7, 7, 7, 3]);
      expect(Number.isFinite(lossA)).toBe(true);
      expect(Math.abs(lossA - lossB), `step ${step + 1}`).toBeLessThan(1e-5);
      tf.dispose([x, labels]);
    }
    // Every weight, BN's moving mean and variance included, ends where the hand split put it.
    const [weightsA, weightsB] = [automatic.weights, byHand.weights];
    expect(weightsA.map((w) => w.name)).toContain('bn_b/moving_variance');
    weightsA.forEach((weight, i) => {
      const [a, b] = [weight.read().dataSync(), weightsB[i].read().dataSync()];
      let worst = 0;
      for (let k = 0; k < a.length; k++) worst = Math.max(worst, Math.abs(a[k] - b[k]));
      expect(worst, weight.name).toBeLessThan(1e-5);
    });
  });

  it('trains zoo:resnet-small at batch 256 on wasm in the planned micro-batches, where one pass would overrun the 4 GiB heap', () => {
    // One pass of 256 would need 256 x 33,425,580 bytes (8.0 GiB, see the test above); the plan
    // is 3 passes of at most 86 (86 x 33,425,580 = 2.7 GiB). A step that exceeded the heap would
    // die with "memory access out of bounds": this step finishing is the memory estimate's check
    // against the real heap. The arithmetic of the split is checked on the small models above.
    const model = buildZooModel('resnet-small', {}, 1);
    const microBatchSize = microBatchFor(model, 256);
    expect(microBatchSize).toBe(86);
    const { x, labels } = randomBatch([256, 32, 32, 3], 100);
    const { loss } = trainStep(model, createOptimizer(MOMENTUM), x, labels, { numClasses: 10, outputKind: 'probabilities', microBatchSize });
    tf.dispose([x, labels]);
    // A random guess among 10 classes scores ln(10) = 2.30; a finite loss near it is a step that ran.
    expect(Number.isFinite(loss)).toBe(true);
    expect(loss).toBeGreaterThan(1);
    expect(loss).toBeLessThan(5);
  }, 600_000);
});

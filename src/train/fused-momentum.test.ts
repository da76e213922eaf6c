import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend/select.js';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { FusedMomentumOptimizer } from './fused-momentum.js';
import { createOptimizer, setLearningRate } from './optimizer.js';
import { trainStep } from './train-step.js';

/** A float32 array's bit patterns: equal bits, equal floats (signed zeros included). */
function bits(tensor: tf.Tensor): number[] {
  return Array.from(new Uint32Array((tensor.dataSync() as Float32Array).slice().buffer));
}

/**
 * Sizes that cover the kernel's paths: 1 (a single float), 4 (one vector), 7 (a vector and a
 * tail of 3), 1,027 (256 vectors and a tail of 3), and a 3x3x2x5 convolution kernel (90).
 */
const SHAPES = [[1], [4], [7], [1027], [3, 3, 2, 5]];

/** Values over six orders of magnitude and both signs, so most float32 operations round. */
function spread(size: number, seed: number): Float32Array {
  return Float32Array.from({ length: size }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233) * 10 ** ((i % 7) - 3));
}

/** Variables owning their data (the tensors they are made from are released by the tidy). */
function makeVariables(): tf.Variable[] {
  return SHAPES.map((shape, v) => tf.tidy(() => tf.variable(tf.tensor(spread(tf.util.sizeFromShape(shape), 100 + v), shape))));
}

/** input 8x8x2 -> conv 3x3, 4 -> BN -> ReLU -> GAP -> dense 3 (softmax); seeded, so every build starts alike. */
function buildSmallNet(): tf.LayersModel {
  const model = tf.sequential();
  model.add(tf.layers.conv2d({ inputShape: [8, 8, 2], filters: 4, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }));
  model.add(tf.layers.batchNormalization());
  model.add(tf.layers.reLU());
  model.add(tf.layers.globalAveragePooling2d({}));
  model.add(tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));
  return model;
}

/** `steps` training steps on one fixed batch of 6. */
function trainSmallNet(model: tf.LayersModel, optimizer: tf.Optimizer, steps: number): void {
  const x = tf.randomUniform([6, 8, 8, 2], 0, 1, 'float32', 3);
  const labels = tf.tensor1d([0, 1, 2, 0, 1, 2], 'int32');
  for (let step = 0; step < steps; step++) trainStep(model, optimizer, x, labels, { numClasses: 3, outputKind: 'probabilities' });
  tf.dispose([x, labels]);
}

/** Every weight's bits, BN's moving statistics included. */
function weightBits(model: tf.LayersModel): number[][] {
  return model.weights.map((w) => bits(w.read()));
}

/**
 * `steps` updates of `optimizer` on fresh variables, gradient k of every variable made from
 * seed k; the learning rate drops to 0.037 after step 2 (as a schedule would). Returns the
 * variables' and slots' bits, and the slots' names relative to their variables'.
 */
async function train(optimizer: tf.Optimizer, steps: number) {
  const variables = makeVariables();
  for (let step = 0; step < steps; step++) {
    if (step === 2) setLearningRate(optimizer, 0.037);
    const gradients = variables.map((v, k) => ({ name: v.name, tensor: tf.tensor(spread(v.size, step * 10 + k), v.shape) }));
    optimizer.applyGradients(gradients);
    tf.dispose(gradients.map((g) => g.tensor));
  }
  const weights = await optimizer.getWeights();
  const result = {
    values: variables.map(bits),
    slotNames: weights.map((w, i) => (i === 0 ? w.name : w.name.replace(variables[i - 1].name, '<variable>'))),
    slots: weights.map((w) => bits(w.tensor)),
  };
  tf.dispose([...variables, weights[0].tensor]);
  optimizer.dispose();
  return result;
}

describe.each([1, 2])('FusedMomentumOptimizer on wasm, %i thread(s)', (threads) => {
  beforeAll(async () => {
    expect((await initBackend('wasm', threads)).name).toBe('wasm');
  });

  it('createOptimizer picks it for momentum on wasm', () => {
    const optimizer = createOptimizer({ name: 'momentum', learningRate: 0.1, momentum: 0.9 });
    // Not instanceof: tfjs optimizers answer instanceof for any optimizer class.
    expect(optimizer.constructor).toBe(FusedMomentumOptimizer);
    optimizer.dispose();
  });

  it('by hand: w = [1, -2, 0.5, 3, 10], gradient g = [1, 0.25, -2, 0, 4] twice, learning rate 0.5, momentum 0.9', () => {
    // float32 arithmetic, each operation rounded (f = Math.fround), as tfjs's kernels compute:
    //   accumulation = f(f(0.9) * accumulation) + g, then w = f(f(-0.5) * accumulation) + w
    const f = Math.fround;
    const w0 = [1, -2, 0.5, 3, 10];
    const g = [1, 0.25, -2, 0, 4];
    const a1 = g.map((gi) => f(f(f(0.9) * 0) + gi)); // = g
    const w1 = w0.map((wi, i) => f(f(-0.5 * a1[i]) + wi)); // [0.5, -2.125, 1.5, 3, 8]
    const a2 = a1.map((ai, i) => f(f(f(0.9) * ai) + g[i])); // e.g. f(0.9) + 1 = 1.89999997615814208984375
    const w2 = w1.map((wi, i) => f(f(-0.5 * a2[i]) + wi));
    expect(w1).toEqual([0.5, -2.125, 1.5, 3, 8]);

    const w = tf.tidy(() => tf.variable(tf.tensor1d(w0)));
    const ownData = w.dataId;
    const optimizer = new FusedMomentumOptimizer(0.5, 0.9);
    for (let step = 0; step < 2; step++) {
      const gradient = tf.tensor1d(g);
      optimizer.applyGradients([{ name: w.name, tensor: gradient }]);
      gradient.dispose();
    }
    expect(Array.from(w.dataSync())).toEqual(w2);
    expect(w.dataId).toBe(ownData); // written in place (tfjs's assign would have given it new data)
    w.dispose();
    optimizer.dispose();
  });

  it.each([false, true])('equals tf.train.momentum bit for bit over 5 steps with a rate change (nesterov %s): values, slots, slot names', async (nesterov) => {
    const ours = await train(new FusedMomentumOptimizer(0.1, 0.9, nesterov), 5);
    const tfjs = await train(tf.train.momentum(0.1, 0.9, nesterov), 5);
    expect(ours.slotNames).toEqual(['iter', ...SHAPES.map(() => '<variable>/momentum')]);
    expect(ours.slotNames).toEqual(tfjs.slotNames);
    expect(ours.slots[0]).toEqual(tfjs.slots[0]); // iter = 5 (int32)
    expect(ours.values).toEqual(tfjs.values);
    expect(ours.slots).toEqual(tfjs.slots);
  });

  it('resumes from getWeights/setWeights bit for bit, leaving the restored tensors unchanged (they share data with the new slots)', async () => {
    // Both optimizers run 2 steps, save, and resume in a new optimizer for 2 more.
    const run = async (make: () => tf.Optimizer) => {
      const variables = makeVariables();
      const step = (optimizer: tf.Optimizer, k: number) => {
        const gradients = variables.map((v, i) => ({ name: v.name, tensor: tf.tensor(spread(v.size, k * 10 + i), v.shape) }));
        optimizer.applyGradients(gradients);
        tf.dispose(gradients.map((g) => g.tensor));
      };
      const first = make();
      step(first, 0);
      step(first, 1);
      // As checkpoint.ts: copies of the slots as new tensors, handed to setWeights and not released.
      const saved = (await first.getWeights()).map((w) => ({ name: w.name, tensor: tf.tensor(w.tensor.dataSync(), w.tensor.shape, w.tensor.dtype) }));
      first.dispose();
      const savedBits = saved.map((w) => bits(w.tensor));
      const resumed = make();
      await resumed.setWeights(saved);
      step(resumed, 2);
      step(resumed, 3);
      const result = { values: variables.map(bits), slots: (await resumed.getWeights()).slice(1).map((w) => bits(w.tensor)), iterations: resumed.iterations, savedUnchanged: saved.every((w, i) => bits(w.tensor).join() === savedBits[i].join()) };
      tf.dispose([...variables, ...saved.map((w) => w.tensor)]);
      resumed.dispose();
      return result;
    };
    const ours = await run(() => new FusedMomentumOptimizer(0.1, 0.9));
    const tfjs = await run(() => tf.train.momentum(0.1, 0.9));
    expect(ours.savedUnchanged).toBe(true);
    expect(ours.iterations).toBe(2 + 2);
    expect(ours.values).toEqual(tfjs.values);
    expect(ours.slots).toEqual(tfjs.slots);
  });

  it('a tensor sharing a variable\'s data keeps its old values, as with tfjs\'s assign', () => {
    const initial = tf.tensor1d([1, 2, 3, 4, 5]);
    const w = tf.variable(initial); // shares initial's data until one of them changes
    const optimizer = new FusedMomentumOptimizer(0.5, 0.9);
    const gradient = tf.ones([5]);
    optimizer.applyGradients([{ name: w.name, tensor: gradient }]);
    expect(Array.from(initial.dataSync())).toEqual([1, 2, 3, 4, 5]);
    expect(Array.from(w.dataSync())).toEqual([1 - 0.5, 2 - 0.5, 3 - 0.5, 4 - 0.5, 5 - 0.5]);
    tf.dispose([initial, w, gradient]);
    optimizer.dispose();
  });

  it("MatMul sees the new weights: XNNPACK's packed copy of the old ones is dropped", () => {
    const w = tf.tidy(() => tf.variable(tf.tensor2d([[1], [1]])));
    const x = tf.tensor2d([[1, 2]]);
    expect(tf.tidy(() => tf.matMul(x, w).dataSync()[0])).toBe(1 * 1 + 2 * 1); // creates the cached operator
    const optimizer = new FusedMomentumOptimizer(0.5, 0.9);
    const gradient = tf.ones([2, 1]);
    optimizer.applyGradients([{ name: w.name, tensor: gradient }]); // w = 1 - 0.5 * 1 = 0.5, in place
    expect(tf.tidy(() => tf.matMul(x, w).dataSync()[0])).toBe(1 * 0.5 + 2 * 0.5);
    tf.dispose([w, x, gradient]);
    optimizer.dispose();
  });

  it("a training step of a small conv net equals tfjs's bit for bit, and keeps the tensor count", () => {
    const run = (optimizer: tf.Optimizer) => {
      const model = buildSmallNet();
      trainSmallNet(model, optimizer, 1);
      const before = tf.memory().numTensors;
      trainSmallNet(model, optimizer, 2);
      const tensorsAdded = tf.memory().numTensors - before;
      const weights = weightBits(model);
      model.dispose();
      optimizer.dispose();
      return { weights, tensorsAdded };
    };
    const ours = run(new FusedMomentumOptimizer(0.05, 0.9));
    const tfjs = run(tf.train.momentum(0.05, 0.9));
    expect(ours.tensorsAdded).toBe(0);
    expect(ours.weights).toEqual(tfjs.weights);
  });

  it("saveCheckpoint after 2 steps, loadCheckpoint into a new model and optimizer, 2 more steps: the weights of 4 uninterrupted steps, and tfjs's", async () => {
    const uninterrupted = (optimizer: tf.Optimizer) => {
      const model = buildSmallNet();
      trainSmallNet(model, optimizer, 4);
      const weights = weightBits(model);
      model.dispose();
      optimizer.dispose();
      return weights;
    };
    const dir = mkdtempSync(join(tmpdir(), 'fused-momentum-'));
    const first = buildSmallNet();
    const firstOptimizer = new FusedMomentumOptimizer(0.05, 0.9);
    trainSmallNet(first, firstOptimizer, 2);
    await saveCheckpoint(dir, first, firstOptimizer, { step: 2, epoch: 0, batchInEpoch: 2 });
    first.dispose();
    firstOptimizer.dispose();
    const resumed = buildSmallNet();
    const resumedOptimizer = new FusedMomentumOptimizer(0.05, 0.9);
    expect((await loadCheckpoint(dir, resumed, resumedOptimizer))?.position.step).toBe(2);
    trainSmallNet(resumed, resumedOptimizer, 2);
    const resumedWeights = weightBits(resumed);
    resumed.dispose();
    resumedOptimizer.dispose();
    rmSync(dir, { recursive: true, force: true });
    expect(resumedWeights).toEqual(uninterrupted(new FusedMomentumOptimizer(0.05, 0.9)));
    expect(resumedWeights).toEqual(uninterrupted(tf.train.momentum(0.05, 0.9)));
  });
});

describe('FusedMomentumOptimizer elsewhere', () => {
  it("on cpu createOptimizer gives tfjs's own, and the fused class runs tfjs's update", async () => {
    expect((await initBackend('cpu')).name).toBe('cpu');
    const optimizer = createOptimizer({ name: 'momentum', learningRate: 0.1, momentum: 0.9 });
    expect(optimizer.constructor).toBe(tf.MomentumOptimizer);
    optimizer.dispose();
    const ours = await train(new FusedMomentumOptimizer(0.1, 0.9), 3);
    const tfjs = await train(tf.train.momentum(0.1, 0.9), 3);
    expect(ours.values).toEqual(tfjs.values);
    expect(ours.slots).toEqual(tfjs.slots);
  });
});

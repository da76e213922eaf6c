import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { initBackend } from '../backend/select.js';
import { INFERENCE_LATENCY_FORMAT } from './inference-latency-file.js';
import { measuredWith, measureInference } from './measure-inference.js';

beforeAll(async () => {
  await initBackend('cpu');
});

/** input[5] -> fc1: Dense 8 -> fc2: Dense 3. */
function tiny(): tf.LayersModel {
  const x = tf.input({ shape: [5], name: 'input' });
  const h = tf.layers.dense({ name: 'fc1', units: 8 }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: x, outputs: tf.layers.dense({ name: 'fc2', units: 3 }).apply(h) as tf.SymbolicTensor });
}

const FAST = { warmup: 1, warmupMs: 0, repeats: 3, minSampleMs: 0 };

describe('measureInference', () => {
  it('times batch 1 and the training batch, each a median within its quartiles, with where and when; leaks no tensors', () => {
    const model = tiny();
    const before = tf.memory().numTensors;
    const predict = vi.fn((batch: number) => (batch === 40 ? { hardware: 'cpu-table', table: 'latency/t.json', ms: 2.5 } : undefined));
    const file = measureInference(model, 'retrain', { backend: 'cpu', trainingBatch: 40, protocol: FAST, predict });
    expect(tf.memory().numTensors).toBe(before);
    expect(file.format).toBe(INFERENCE_LATENCY_FORMAT);
    expect(file.model).toBe('retrain');
    expect([file.batch1.batch, file.trainingBatch.batch]).toEqual([1, 40]);
    for (const m of [file.batch1, file.trainingBatch]) {
      expect(m).toMatchObject({ backend: 'cpu', repeats: 3, warmup: 1 });
      expect(m.threads).toBeUndefined();
      expect(m.medianMs).toBeGreaterThan(0);
      expect(m.p25Ms).toBeLessThanOrEqual(m.medianMs);
      expect(m.p75Ms).toBeGreaterThanOrEqual(m.medianMs);
      expect(new Date(m.measuredAt).toISOString()).toBe(m.measuredAt);
    }
    // The prediction is asked for at each batch and kept where there is one.
    expect(predict.mock.calls.map(([batch]) => batch)).toEqual([1, 40]);
    expect(file.batch1.predicted).toBeUndefined();
    expect(file.trainingBatch.predicted).toEqual({ hardware: 'cpu-table', table: 'latency/t.json', ms: 2.5 });
    expect(file.statistic).toBe('median of 3 samples after at least 1 warm-up runs and 0 ms, each sample the mean of back-to-back runs spanning at least 0 ms; spread: 25th and 75th percentiles');
  });

  it('runs the training batch as one batch (predict would split 40 into 32 + 8)', () => {
    const model = tiny();
    const predict = vi.spyOn(model, 'predict');
    measureInference(model, 'seed', { backend: 'cpu', trainingBatch: 40, protocol: FAST });
    // 1 warm-up + 3 samples of one run each, per batch.
    expect(predict.mock.calls.map(([x, config]) => [(x as tf.Tensor).shape[0], config?.batchSize])).toEqual([...Array(4).fill([1, 1]), ...Array(4).fill([40, 40])]);
  });

  it('a training batch of 1 is timed once, and is both entries', () => {
    const file = measureInference(tiny(), 'seed', { backend: 'wasm', threads: 2, trainingBatch: 1, protocol: FAST });
    expect(file.trainingBatch).toBe(file.batch1);
    expect(file.batch1.threads).toBe(2);
  });

  it('with the seed: each sample paired with one of the seed, and the share of its time recorded; leaks no tensors', () => {
    const [model, seed] = [tiny(), tiny()];
    const before = tf.memory().numTensors;
    const calls = { model: vi.spyOn(model, 'predict'), seed: vi.spyOn(seed, 'predict') };
    const file = measureInference(model, 'retrain', { backend: 'cpu', trainingBatch: 1, seed, pairedProtocol: { warmup: 1, warmupMs: 0, pairs: 3, minSampleMs: 0 } });
    expect(tf.memory().numTensors).toBe(before);
    // 1 warm-up run and 3 samples of one run each, for the model and for the seed.
    expect([calls.model.mock.calls.length, calls.seed.mock.calls.length]).toEqual([1 + 3, 1 + 3]);
    expect(file.batch1).toMatchObject({ repeats: 3, warmup: 1 });
    const share = file.batch1.ofSeed!;
    expect(share.pairs).toBe(3);
    expect(share.p25).toBeLessThanOrEqual(share.median);
    expect(share.p75).toBeGreaterThanOrEqual(share.median);
    expect(share.seedMedianMs).toBeGreaterThan(0);
    expect(file.statistic).toBe(
      'median of 3 samples, each paired with a sample of the seed beside it (the order alternating), after at least 1 warm-up runs and 0 ms, each sample the mean of back-to-back runs spanning at least 0 ms; spread: 25th and 75th percentiles; share of the seed: median and quartiles of the per-pair ratios',
    );
  });

  it('measuredWith: the same backend, threads and training batch', () => {
    const file = measureInference(tiny(), 'seed', { backend: 'wasm', threads: 2, trainingBatch: 4, protocol: FAST });
    expect(measuredWith(file, { backend: 'wasm', threads: 2, trainingBatch: 4 })).toBe(true);
    expect(measuredWith(file, { backend: 'wasm', threads: 1, trainingBatch: 4 })).toBe(false);
    expect(measuredWith(file, { backend: 'cpu', threads: 2, trainingBatch: 4 })).toBe(false);
    expect(measuredWith(file, { backend: 'wasm', threads: 2, trainingBatch: 8 })).toBe(false);
    expect(measuredWith(undefined, { backend: 'wasm', threads: 2, trainingBatch: 4 })).toBe(false);
  });
});

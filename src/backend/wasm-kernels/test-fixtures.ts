import * as tf from '@tensorflow/tfjs';

/** Helpers for the tests that check wasm kernels against the pure JS cpu backend. */

/** `size` floats in [-0.5, 0.5) from a linear congruential generator: the same for the same seed. */
export function randomArray(size: number, seed: number): Float32Array {
  let state = seed >>> 0;
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    state = (state * 1664525 + 1013904223) >>> 0;
    out[i] = state / 2 ** 32 - 0.5;
  }
  return out;
}

export const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** The values `compute` gives on `backend` (its tensors all released). */
export async function onBackend(backend: string, compute: () => tf.Tensor): Promise<Float32Array> {
  await tf.setBackend(backend);
  const result = tf.tidy(compute);
  const data = (await result.data()) as Float32Array;
  result.dispose();
  return data;
}

/** The largest difference relative to the largest expected magnitude. */
export function maxRelativeError(actual: Float32Array, expected: Float32Array): number {
  if (actual.length !== expected.length) throw new Error(`${actual.length} values, expected ${expected.length}`);
  // A loop, not Math.max(...): a spread of millions of values overflows the stack.
  let scale = 1e-6;
  for (const value of expected) scale = Math.max(scale, Math.abs(value));
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / scale);
  return worst;
}

/** The first index where the two differ bit for bit in value (Object.is: signed zeros and NaN count), or -1. */
export function firstMismatch(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) return Math.min(actual.length, expected.length);
  return Array.prototype.findIndex.call(actual, (v: number, i: number) => !Object.is(v, expected[i]));
}

import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initBackend } from './select.js';
import { firstMismatch } from './wasm-kernels/test-fixtures.js';

const weights = (values: number[]) => tf.tensor1d(values.map((_, i) => (i % 5) - 1.5));

/** d/dx of sum(clip(x, 0, 6) * w) = w where 0 <= x <= 6, +0 elsewhere (NaN x included): ReLU6's clip. */
function gradient(values: number[]): Float32Array {
  return tf.tidy(() => {
    const w = weights(values);
    return tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.clipByValue(x, 0, 6), w)))(tf.tensor1d(values)).dataSync() as Float32Array;
  });
}

/** tfjs's own formula for that gradient, written out with ops (no gradient registered is involved). */
function formula(values: number[]): Float32Array {
  return tf.tidy(() => {
    const x = tf.tensor1d(values);
    const w = weights(values);
    return tf.where(tf.logicalAnd(tf.greaterEqual(x, 0), tf.lessEqual(x, 6)), w, tf.zerosLike(w)).dataSync() as Float32Array;
  });
}

const INPUTS: Record<string, number[]> = {
  'seven values with both bounds, NaN and -0 (a vector and three single values)': [-1, 0, 3, 6, 6.5, NaN, -0],
  '4,099 values (one thread; a tail of 3)': Array.from({ length: 4099 }, (_, i) => 8 * Math.sin(i * 0.7)),
  '2,097,155 values (past PARALLEL_PASS_MIN_FLOATS: threads split whole vectors)': Array.from({ length: 2 ** 21 + 3 }, (_, i) => 8 * Math.sin(i * 0.7)),
};

describe('ClipByValue gradient', () => {
  it('by hand: w where 0 <= x <= 6 (both bounds and -0 included), +0 elsewhere and at NaN', async () => {
    await tf.setBackend('cpu');
    // w = -1.5, -0.5, 0.5, 1.5, 2.5, -1.5, -0.5; x = -1, 0, 3, 6, 6.5, NaN, -0
    expect(Array.from(formula(Object.values(INPUTS)[0]))).toEqual([0, -0.5, 0.5, 1.5, 0, 0, -0.5]);
  });

  for (const [name, values] of Object.entries(INPUTS)) {
    it(`on wasm (one pass) and cpu equals tfjs's where(min <= x <= max, dy, 0): ${name}`, async () => {
      await tf.setBackend('cpu');
      const expected = formula(values);
      await initBackend('wasm');
      expect(firstMismatch(gradient(values), expected), 'wasm: first differing element').toBe(-1);
      await initBackend('cpu');
      expect(firstMismatch(gradient(values), expected), 'cpu: first differing element').toBe(-1);
    });
  }

  it("runs as one kernel on wasm, none of the five of tfjs's formula", async () => {
    await initBackend('wasm');
    const x = tf.tensor1d([-1, 2, 7]);
    const dy = tf.tensor1d([1, 2, 3]);
    const info = await tf.profile(() => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.clipByValue(t, 0, 6), dy)))(x));
    expect(info.kernelNames).toContain('MorphnetClipGrad');
    for (const name of ['GreaterEqual', 'LessEqual', 'LogicalAnd', 'Select']) expect(info.kernelNames).not.toContain(name);
    // d/dx of sum(clip(x, 0, 6) * dy): dy = 2 where x = 2 is inside [0, 6], 0 at -1 and 7.
    const gradient = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.clipByValue(t, 0, 6), dy)))(x);
    expect(Array.from(await gradient.data())).toEqual([0, 2, 0]);
    tf.dispose([x, dy, gradient, info.result as tf.Tensor]);
  });
});

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './select.js';

/** d/dx of sum(relu(x) * w) = w * step(x): w where x > 0, w * 0 (a signed zero) where x <= 0, NaN where x is NaN. */
function gradient(values: number[]): Float32Array {
  return tf.tidy(() => {
    const w = tf.tensor1d(values.map((_, i) => (i % 5) - 1.5));
    return tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.relu(x), w)))(tf.tensor1d(values)).dataSync() as Float32Array;
  });
}

const INPUTS: Record<string, number[]> = {
  'seven values with NaN, 0 and -0 (a vector and three single values)': [2, -1, 0, NaN, -0, 3.5, 1e-30],
  '4,099 values (one thread; a tail of 3)': Array.from({ length: 4099 }, (_, i) => Math.sin(i * 0.7)),
  '2,097,155 values (past PARALLEL_PASS_MIN_FLOATS: threads split whole vectors)': Array.from({ length: 2 ** 21 + 3 }, (_, i) => Math.sin(i * 0.7)),
};

describe('ReLU gradient', () => {
  const references = new Map<string, Float32Array>();
  beforeAll(async () => {
    await tf.setBackend('cpu'); // tfjs's own gradient: initBackend installs ours
    for (const [name, values] of Object.entries(INPUTS)) references.set(name, gradient(values));
  });

  it('by hand: w where x > 0, w * 0 where x <= 0, NaN where x is NaN', () => {
    // w = -1.5, -0.5, 0.5, 1.5, 2.5, -1.5, -0.5
    expect(Array.from(references.get(Object.keys(INPUTS)[0])!)).toEqual([-1.5, -0, 0, NaN, 0, -1.5, -0.5]);
  });

  for (const name of Object.keys(INPUTS)) {
    it(`on wasm (one pass) and cpu equals tfjs's dy * step(x): ${name}`, async () => {
      for (const backend of ['wasm', 'cpu'] as const) {
        await initBackend(backend);
        const actual = gradient(INPUTS[name]);
        const expected = references.get(name)!;
        expect(actual.length).toBe(expected.length);
        // Object.is per element: signed zeros and NaN must match too.
        const mismatch = actual.findIndex((v, i) => !Object.is(v, expected[i]));
        expect(mismatch, `${backend}: first differing element`).toBe(-1);
      }
    });
  }
});

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { initBackend } from '../select.js';
import { simdKernelsFor } from './simd-kernels.js';
import { firstMismatch } from './test-fixtures.js';

/** Relu, Relu6 and ClipByValue on wasm (clip.wat's clamp) against the cpu backend, element for element. */
const OPS: Record<string, (x: tf.Tensor) => tf.Tensor> = {
  Relu: (x) => tf.relu(x),
  Relu6: (x) => tf.relu6(x),
  'ClipByValue [-0.5, 2]': (x) => tf.clipByValue(x, -0.5, 2),
};

const INPUTS: Record<string, number[]> = {
  'seven values with NaN, -0 and the bounds (a vector and three single values)': [-1, -0, 0, 6, 7.5, NaN, 2],
  '2,097,155 values (past PARALLEL_PASS_MIN_FLOATS: threads split whole vectors)': Array.from({ length: 2 ** 21 + 3 }, (_, i) => 8 * Math.sin(i * 0.7)),
};

async function apply(backend: 'wasm' | 'cpu', op: (x: tf.Tensor) => tf.Tensor, values: number[]): Promise<Float32Array> {
  await tf.setBackend(backend);
  return tf.tidy(() => op(tf.tensor1d(values)).dataSync() as Float32Array);
}

beforeAll(async () => {
  await initBackend('wasm');
});

describe('Relu, Relu6 and ClipByValue on wasm', () => {
  it('by hand: relu6 of -1, -0, 0, 6, 7.5, NaN, 2 is 0, +0, 0, 6, 6, NaN, 2; clip to [-0.5, 2] keeps -0', async () => {
    const values = Object.values(INPUTS)[0];
    expect(Array.from(await apply('wasm', OPS.Relu6, values))).toEqual([0, 0, 0, 6, 6, NaN, 2]);
    expect(Array.from(await apply('wasm', OPS['ClipByValue [-0.5, 2]'], values))).toEqual([-0.5, -0, 0, 2, 2, NaN, 2]);
  });

  it('runs on clip.wat', async () => {
    await tf.setBackend('wasm');
    const kernels = simdKernelsFor(tf.backend());
    const run = vi.spyOn(kernels, 'run');
    tf.tidy(() => tf.relu6(tf.tensor1d([1, 2, 3])));
    expect(run).toHaveBeenCalledWith('clip', 'clamp', expect.anything());
    run.mockRestore();
  });

  for (const [opName, op] of Object.entries(OPS)) {
    for (const [inputName, values] of Object.entries(INPUTS)) {
      it(`${opName} equals the cpu backend's, signed zeros and NaN included: ${inputName}`, async () => {
        const expected = await apply('cpu', op, values);
        const actual = await apply('wasm', op, values);
        expect(firstMismatch(actual, expected), 'first differing element').toBe(-1);
      });
    }
  }

  it('leaves int32 tensors to wasm\'s own Relu', async () => {
    await tf.setBackend('wasm');
    const y = tf.relu(tf.tensor1d([-3, 0, 4], 'int32'));
    expect(y.dtype).toBe('int32');
    expect(Array.from(await y.data())).toEqual([0, 0, 4]);
    y.dispose();
  });
});

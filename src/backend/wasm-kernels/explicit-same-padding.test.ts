import * as tf from '@tensorflow/tfjs';
import type { NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../select.js';
import { explicitSamePadding, sameTotalPadding } from './explicit-same-padding.js';
import { convolutionPath } from './kernel-paths.js';
import { maxRelativeError, numel, onBackend, randomArray } from './test-fixtures.js';

/**
 * 'same' convolutions whose TensorFlow total padding is negative along an axis (XNNPACK wraps it
 * around and returned zeros) against the pure JS cpu backend on wasm, as morphnet registers it.
 * Every case has fewer than 8 input channels or an unaligned output below 32, so it runs on
 * XNNPACK (convolution.wat takes the rest). Tolerance 1e-4 of the largest value: every value is a
 * sum of at most 36 float32 products (dx of the last case: 3 taps x 12 channels; dW of the second:
 * 2 * 4 * 4 = 32 positions), each operation off by at most 2^-24 ~ 6e-8, so by ~36 * 6e-8 ~ 2e-6 of
 * the magnitudes summed; 1e-4 leaves room for cancellation, and the bug's errors are 0.3 to 1.
 */
type Shape4 = [number, number, number, number];

interface Case {
  input: Shape4;
  filter: Shape4;
  strides: [number, number];
}

const CASES: Case[] = [
  // Width: (ceil(6 / 2) - 1) * 2 + (1 - 1) + 1 - 6 = -1.
  { input: [1, 4, 6, 1], filter: [4, 1, 1, 7], strides: [1, 2] },
  // Height: (ceil(8 / 2) - 1) * 2 + 1 - 8 = -1.
  { input: [2, 8, 8, 4], filter: [1, 3, 4, 5], strides: [2, 2] },
  // Both axes at stride 3 with a 2-tap filter: (3 - 1) * 3 + 2 - 9 = -1 and (2 - 1) * 3 + 2 - 6 = -1.
  { input: [2, 9, 6, 3], filter: [2, 2, 3, 6], strides: [3, 3] },
  // 8 input channels, 12 outputs (unaligned, below 32): still XNNPACK. Width: 3 * 2 + 1 - 8 = -1.
  { input: [2, 6, 8, 8], filter: [3, 1, 8, 12], strides: [2, 2] },
];

const TOLERANCE = 1e-4;

const describeCase = (c: Case) => `x [${c.input}], filter [${c.filter}], strides [${c.strides}]`;

function negativeAxis(c: Case): boolean {
  const [, height, width] = c.input;
  return sameTotalPadding(height, c.filter[0], c.strides[0], 1) < 0 || sameTotalPadding(width, c.filter[1], c.strides[1], 1) < 0;
}

/** 'same': ceil(in / stride) along each spatial axis. */
function outputShape(c: Case): Shape4 {
  const [batch, height, width] = c.input;
  return [batch, Math.ceil(height / c.strides[0]), Math.ceil(width / c.strides[1]), c.filter[3]];
}

function inputs(c: Case, seed: number) {
  const x = randomArray(numel(c.input), seed);
  const filter = randomArray(numel(c.filter), seed + 1);
  const bias = randomArray(c.filter[3], seed + 2);
  return { x, filter, bias };
}

/** x and the filter's gradients of sum(y * weights): tfjs's autodiff calls Conv2DBackpropInput and Conv2DBackpropFilter. */
function gradients(c: Case, x: Float32Array, filter: Float32Array, weights: Float32Array): tf.Tensor {
  const [dx, dFilter] = tf.grads((a: tf.Tensor, b: tf.Tensor) => {
    const y = tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, 'same');
    return tf.sum(tf.mul(y, tf.tensor(weights, y.shape)));
  })([tf.tensor4d(x, c.input), tf.tensor4d(filter, c.filter)]);
  return tf.concat([dx.flatten(), dFilter.flatten()]);
}

async function expectWasmEqualsCpu(compute: () => tf.Tensor): Promise<void> {
  const expected = await onBackend('cpu', compute);
  expect(maxRelativeError(await onBackend('wasm', compute), expected)).toBeLessThan(TOLERANCE);
}

beforeAll(async () => {
  const choice = await initBackend('wasm');
  expect(choice.name).toBe('wasm');
});

describe('explicit same padding for XNNPACK', () => {
  it('spells out the clamped amounts: height total 3 split 1 + 2, width total -1 clamped to 0', () => {
    // Height: (ceil(4 / 1) - 1) * 1 + (4 - 1) + 1 - 4 = 3: floor(3 / 2) = 1 before, 2 after.
    expect(sameTotalPadding(4, 4, 1, 1)).toBe(3);
    expect(sameTotalPadding(6, 1, 2, 1)).toBe(-1);
    const x = { shape: [1, 4, 6, 1] } as TensorInfo;
    const filter = { shape: [4, 1, 1, 7] } as TensorInfo;
    const attrs = { strides: [1, 2], pad: 'same', dilations: [1, 1], dataFormat: 'NHWC' } as unknown as NamedAttrMap;
    expect(explicitSamePadding(x, filter, attrs, false).pad).toEqual([[0, 0], [1, 2], [0, 0], [0, 0]]);
    const valid = { ...attrs, pad: 'valid' } as unknown as NamedAttrMap;
    expect(explicitSamePadding(x, filter, valid, false)).toBe(valid);
  });

  /**
   * x = [[1, 2], [3, 4]] (one channel), filter [2, 1] = [1, 10] (rows), strides [1, 2], 'same':
   * the output is 2 x 1; height pads (2 - 1) * 1 + 2 - 2 = 1 row after, width (1 - 1) * 2 + 1 - 2 = -1, none.
   * y[0] = x[0][0] * 1 + x[1][0] * 10 = 1 + 30 = 31; y[1] = x[1][0] * 1 + (padding) * 10 = 3.
   */
  it('computes a two-tap column filter at width stride 2 (XNNPACK gave zeros)', async () => {
    await tf.setBackend('wasm');
    const y = tf.conv2d(tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]), tf.tensor4d([1, 10], [2, 1, 1, 1]), [1, 2], 'same');
    expect(y.shape).toEqual([1, 2, 1, 1]);
    expect(Array.from(await y.data())).toEqual([31, 3]);
    y.dispose();
  });

  for (const c of CASES) {
    describe(describeCase(c), () => {
      it('runs on XNNPACK with a negative total padding on an axis', () => {
        expect(convolutionPath(c.filter[3], c.filter[2]).kernel).toBe('xnnpack');
        expect(negativeAxis(c)).toBe(true);
      });

      it('Conv2D equals the cpu backend', async () => {
        const { x, filter } = inputs(c, 11);
        await expectWasmEqualsCpu(() => tf.conv2d(tf.tensor4d(x, c.input), tf.tensor4d(filter, c.filter), c.strides, 'same'));
      });

      // Our kernels (filter-gradients.ts, input-gradients.ts) pass explicit padding to XNNPACK: right before the fix too.
      it('Conv2DBackpropInput and Conv2DBackpropFilter equal the cpu backend', async () => {
        const { x, filter } = inputs(c, 11);
        await expectWasmEqualsCpu(() => gradients(c, x, filter, randomArray(numel(outputShape(c)), 14)));
      });

      it('FusedConv2D with bias and relu equals the cpu backend', async () => {
        const { x, filter, bias } = inputs(c, 21);
        await expectWasmEqualsCpu(() =>
          tf.fused.conv2d({ x: tf.tensor4d(x, c.input), filter: tf.tensor4d(filter, c.filter), strides: c.strides, pad: 'same', bias: tf.tensor1d(bias), activation: 'relu' }),
        );
      });

      const depthwiseFilter: Shape4 = [c.filter[0], c.filter[1], c.input[3], 2];
      const depthwiseInputs = () => [tf.tensor4d(randomArray(numel(c.input), 31), c.input), tf.tensor4d(randomArray(numel(depthwiseFilter), 32), depthwiseFilter)] as const;

      // depthwise.wat, ours: right before the fix too.
      it('DepthwiseConv2dNative (multiplier 2) equals the cpu backend', async () => {
        await expectWasmEqualsCpu(() => tf.depthwiseConv2d(...depthwiseInputs(), c.strides, 'same'));
      });

      it('FusedDepthwiseConv2D (XNNPACK) with bias and relu equals the cpu backend', async () => {
        const bias = randomArray(c.input[3] * 2, 33);
        await expectWasmEqualsCpu(() => {
          const [x, filter] = depthwiseInputs();
          return tf.fused.depthwiseConv2d({ x, filter, strides: c.strides, pad: 'same', bias: tf.tensor1d(bias), activation: 'relu' });
        });
      });
    });
  }
});

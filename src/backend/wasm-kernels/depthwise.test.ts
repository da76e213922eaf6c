import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { initBackend } from '../select.js';
import { simdKernelsFor } from './simd-kernels.js';
import { maxRelativeError, numel, onBackend, randomArray } from './test-fixtures.js';

/**
 * depthwise.wat's DepthwiseConv2dNative and its two gradients on wasm, against the pure JS cpu
 * backend on random inputs: depth multipliers 1 and 2, strides 1 and 2, same, valid and explicit
 * padding, dilation 2, channel counts that are and are not multiples of 4 (used in place, or
 * padded), batches that split between threads by samples (3) or by channels (1).
 * tfjs takes no gradient of a dilated depthwise convolution, so dilated cases check the forward
 * pass here; wasm-kernels.test.ts checks the gradient kernels with dilation 2 (against the cpu
 * gradient of the zero-expanded filter) and on further shapes, multiplier 3 among them.
 */
type Padding = 'same' | 'valid' | [[0, 0], [number, number], [number, number], [0, 0]];

interface Case {
  input: [number, number, number, number];
  kernel: [number, number];
  multiplier: number;
  stride: number;
  pad: Padding;
  dilation: number;
}

const CASES: Case[] = [
  { input: [3, 9, 11, 8], kernel: [3, 3], multiplier: 1, stride: 1, pad: 'same', dilation: 1 },
  { input: [3, 10, 9, 8], kernel: [3, 3], multiplier: 1, stride: 2, pad: 'same', dilation: 1 },
  { input: [2, 9, 8, 5], kernel: [3, 3], multiplier: 1, stride: 2, pad: 'valid', dilation: 1 },
  { input: [3, 8, 7, 3], kernel: [3, 3], multiplier: 2, stride: 1, pad: 'same', dilation: 1 },
  { input: [2, 11, 9, 4], kernel: [3, 3], multiplier: 2, stride: 2, pad: 'same', dilation: 1 },
  { input: [1, 7, 8, 16], kernel: [3, 3], multiplier: 1, stride: 1, pad: 'valid', dilation: 1 },
  { input: [1, 9, 9, 13], kernel: [3, 3], multiplier: 2, stride: 2, pad: 'valid', dilation: 1 },
  { input: [2, 12, 10, 6], kernel: [3, 3], multiplier: 1, stride: 1, pad: 'same', dilation: 2 },
  { input: [2, 11, 12, 4], kernel: [3, 3], multiplier: 2, stride: 1, pad: 'valid', dilation: 2 },
  { input: [2, 8, 9, 12], kernel: [5, 2], multiplier: 1, stride: 1, pad: 'same', dilation: 1 },
  { input: [2, 9, 10, 8], kernel: [3, 3], multiplier: 1, stride: 1, pad: [[0, 0], [2, 0], [1, 3], [0, 0]], dilation: 1 },
  { input: [2, 9, 10, 3], kernel: [3, 3], multiplier: 2, stride: 2, pad: [[0, 0], [1, 2], [0, 1], [0, 0]], dilation: 1 },
];

function describeCase(c: Case): string {
  const pad = typeof c.pad === 'string' ? c.pad : `explicit ${JSON.stringify(c.pad.slice(1, 3))}`;
  return `x [${c.input}], ${c.kernel.join('x')}, multiplier ${c.multiplier}, stride ${c.stride}, ${pad}, dilation ${c.dilation}`;
}

const filterShape = (c: Case) => [c.kernel[0], c.kernel[1], c.input[3], c.multiplier] as [number, number, number, number];

function forward(c: Case, x: Float32Array, filter: Float32Array): tf.Tensor {
  const pad = c.pad as 'same';
  return tf.depthwiseConv2d(tf.tensor4d(x, c.input), tf.tensor4d(filter, filterShape(c)), c.stride, pad, 'NHWC', c.dilation);
}

/** x and the filter's gradients of sum(y * weights), as tfjs's autodiff calls the two kernels. */
function gradients(c: Case, x: Float32Array, filter: Float32Array, weights: Float32Array): tf.Tensor {
  const [dx, dFilter] = tf.grads((a: tf.Tensor, b: tf.Tensor) => {
    const pad = c.pad as 'same';
    const y = tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, pad, 'NHWC', c.dilation);
    return tf.sum(tf.mul(y, tf.tensor(weights, y.shape)));
  })([tf.tensor4d(x, c.input), tf.tensor4d(filter, filterShape(c))]);
  return tf.concat([dx.flatten(), dFilter.flatten()]);
}

beforeAll(async () => {
  const choice = await initBackend('wasm');
  expect(choice.name).toBe('wasm');
});

describe('DepthwiseConv2dNative and its gradients on wasm (depthwise.wat)', () => {
  for (const c of CASES) {
    it(`equals the cpu backend${c.dilation > 1 ? ' (forward)' : ''}: ${describeCase(c)}`, async () => {
      const x = randomArray(numel(c.input), 51);
      const filter = randomArray(numel(filterShape(c)), 52);
      const expectedY = await onBackend('cpu', () => forward(c, x, filter));
      expect(maxRelativeError(await onBackend('wasm', () => forward(c, x, filter)), expectedY)).toBeLessThan(1e-5);
      if (c.dilation > 1) return;
      const weights = randomArray(expectedY.length, 53);
      const expectedGradients = await onBackend('cpu', () => gradients(c, x, filter, weights));
      expect(maxRelativeError(await onBackend('wasm', () => gradients(c, x, filter, weights)), expectedGradients)).toBeLessThan(1e-4);
    });
  }

  /**
   * x = 1..9 on a 3x3 grid (one channel), a 3x3 filter of ones, 'same', stride 1:
   * y is the sum of each 3x3 neighbourhood: corner (0,0) = 1+2+4+5 = 12, edge (0,1) = 1+2+3+4+5+6 = 21,
   * centre = 45. With dy = 1 everywhere, dx[h,w] counts the outputs that read (h,w): 4 at a corner,
   * 6 on an edge, 9 at the centre; df[a,b] sums x over the pixels tap (a,b) reads: the top-left
   * tap reads x[0..1][0..1] = 12, the centre tap all of x = 45.
   */
  it('computes a 3x3 box sum and its gradients', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
    const filter = tf.ones([3, 3, 1, 1]) as tf.Tensor4D;
    expect(Array.from(await tf.depthwiseConv2d(x, filter, 1, 'same').data())).toEqual([12, 21, 16, 27, 45, 33, 24, 39, 28]);
    const attrs = { strides: [1, 1], pad: 'same', dilations: [1, 1] };
    const dy = tf.ones([1, 3, 3, 1]);
    const dx = tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter }, { ...attrs, inputShape: [1, 3, 3, 1] } as unknown as tf.NamedAttrMap) as tf.Tensor;
    expect(Array.from(await dx.data())).toEqual([4, 6, 4, 6, 9, 6, 4, 6, 4]);
    const df = tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { ...attrs, filterShape: [3, 3, 1, 1] } as unknown as tf.NamedAttrMap) as tf.Tensor;
    expect(Array.from(await df.data())).toEqual([12, 21, 16, 27, 45, 33, 24, 39, 28]);
    tf.dispose([x, filter, dy, dx, df]);
  });

  it('runs the forward pass and both gradients on depthwise.wat', async () => {
    await tf.setBackend('wasm');
    const kernels = simdKernelsFor(tf.backend());
    const run = vi.spyOn(kernels, 'run');
    const c = CASES[1]; // stride 2: the input gradient takes dw_input_grad
    tf.tidy(() => gradients(c, randomArray(numel(c.input), 71), randomArray(numel(filterShape(c)), 72), randomArray(3 * 5 * 5 * 8, 73)));
    const exportsRun = new Set(run.mock.calls.map(([module, exportName]) => `${module}.${exportName}`));
    run.mockRestore();
    for (const name of ['dw_forward_padded', 'dw_input_grad', 'dw_filter_grad']) expect(exportsRun).toContain(`depthwise.${name}`);
  });

  it('frees every scratch tensor it makes', async () => {
    await tf.setBackend('wasm');
    const c = CASES[4];
    const x = randomArray(numel(c.input), 61);
    const filter = randomArray(numel(filterShape(c)), 62);
    await onBackend('wasm', () => gradients(c, x, filter, randomArray(numel([2, 6, 5, 8]), 63)));
    const before = tf.memory().numTensors;
    const dataIds = (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
    await onBackend('wasm', () => gradients(c, x, filter, randomArray(numel([2, 6, 5, 8]), 63)));
    expect(tf.memory().numTensors).toBe(before);
    expect((tf.backend() as unknown as { numDataIds(): number }).numDataIds()).toBe(dataIds);
  });
});

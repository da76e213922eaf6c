import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../select.js';
import { maxRelativeError, numel, onBackend, randomArray } from './test-fixtures.js';

/**
 * Every kernel this project registers for wasm, checked against the pure JS cpu backend's own
 * implementation on random inputs: strides 1 and 2, same and valid padding, dilation,
 * depth multiplier > 1, odd sizes.
 */
async function expectSameOnBothBackends(compute: () => tf.Tensor) {
  const expected = await onBackend('cpu', compute);
  const actual = await onBackend('wasm', compute);
  expect(maxRelativeError(actual, expected)).toBeLessThan(1e-4);
}

interface Case {
  name: string;
  input: [number, number, number, number];
  filter: [number, number]; // kh, kw
  channelsOut: number; // conv: Cout; depthwise: multiplier
  stride: number;
  pad: 'same' | 'valid';
  dilation: number;
}

const CASES: Case[] = [
  { name: '3x3 stride 1 same', input: [2, 7, 9, 3], filter: [3, 3], channelsOut: 4, stride: 1, pad: 'same', dilation: 1 },
  { name: '3x3 stride 2 same odd', input: [3, 9, 7, 5], filter: [3, 3], channelsOut: 2, stride: 2, pad: 'same', dilation: 1 },
  { name: '3x3 stride 2 valid odd', input: [2, 11, 8, 3], filter: [3, 3], channelsOut: 3, stride: 2, pad: 'valid', dilation: 1 },
  { name: '5x2 stride 1 valid', input: [1, 10, 6, 2], filter: [5, 2], channelsOut: 3, stride: 1, pad: 'valid', dilation: 1 },
  { name: '4x4 stride 2 same even filter', input: [2, 8, 8, 3], filter: [4, 4], channelsOut: 2, stride: 2, pad: 'same', dilation: 1 },
  { name: '1x1 stride 2 valid', input: [2, 9, 9, 4], filter: [1, 1], channelsOut: 5, stride: 2, pad: 'valid', dilation: 1 },
  { name: '3x3 stride 3 same', input: [1, 10, 13, 2], filter: [3, 3], channelsOut: 2, stride: 3, pad: 'same', dilation: 1 },
  // Wider: the filter gradient's SIMD kernel splits channel tiles (4 in, 8 out) between threads
  // and pads the tails (9 -> 12, 13 -> 16); 8 -> 16 needs no padding and is written in place.
  { name: '3x3 stride 1 same, 9 -> 13 channels', input: [2, 6, 7, 9], filter: [3, 3], channelsOut: 13, stride: 1, pad: 'same', dilation: 1 },
  { name: '3x3 stride 2 same, 8 -> 16 channels', input: [3, 9, 8, 8], filter: [3, 3], channelsOut: 16, stride: 2, pad: 'same', dilation: 1 },
  { name: '5x4 stride 2 valid, 12 -> 10 channels', input: [2, 13, 11, 12], filter: [5, 4], channelsOut: 10, stride: 2, pad: 'valid', dilation: 1 },
  // dx has 33 channels: the convolution kernel computes 40 and compacts.
  { name: '3x3 stride 2 same, 33 -> 8 channels', input: [2, 7, 6, 33], filter: [3, 3], channelsOut: 8, stride: 2, pad: 'same', dilation: 1 },
];

const DILATED: Case[] = [
  { name: '3x3 dilation 2 same', input: [2, 9, 11, 3], filter: [3, 3], channelsOut: 2, stride: 1, pad: 'same', dilation: 2 },
  { name: '3x3 dilation 2 valid', input: [1, 12, 9, 2], filter: [3, 3], channelsOut: 1, stride: 1, pad: 'valid', dilation: 2 },
];

beforeAll(async () => {
  const choice = await initBackend('wasm');
  expect(choice.name).toBe('wasm');
});

function runKernel(name: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>): tf.Tensor {
  return tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap) as tf.Tensor;
}

async function outputShape(c: Case, filterShape: number[], depthwise: boolean): Promise<number[]> {
  await tf.setBackend('cpu');
  return tf.tidy(() => {
    const x = tf.zeros(c.input) as tf.Tensor4D;
    const f = tf.zeros(filterShape as [number, number, number, number]) as tf.Tensor4D;
    return depthwise
      ? tf.depthwiseConv2d(x, f, c.stride, c.pad, 'NHWC', c.dilation).shape
      : tf.conv2d(x, f, c.stride, c.pad).shape;
  });
}

describe('Conv2DBackpropFilter and Conv2DBackpropInput on wasm', () => {
  // tfjs takes conv gradients only without dilation, so these kernels never receive one.
  for (const c of CASES) {
    const filterShape = [c.filter[0], c.filter[1], c.input[3], c.channelsOut];
    const attrs = { strides: [c.stride, c.stride], pad: c.pad, dataFormat: 'NHWC' };

    it(`filter gradient, ${c.name}`, async () => {
      const dyShape = await outputShape(c, filterShape, false);
      const x = randomArray(numel(c.input), 1);
      const dy = randomArray(numel(dyShape), 3);
      await expectSameOnBothBackends(() =>
        runKernel('Conv2DBackpropFilter', { x: tf.tensor(x, c.input), dy: tf.tensor(dy, dyShape) }, { ...attrs, filterShape }),
      );
    });

    it(`input gradient, ${c.name}`, async () => {
      const dyShape = await outputShape(c, filterShape, false);
      const filter = randomArray(numel(filterShape), 2);
      const dy = randomArray(numel(dyShape), 4);
      await expectSameOnBothBackends(() =>
        runKernel('Conv2DBackpropInput', { dy: tf.tensor(dy, dyShape), filter: tf.tensor(filter, filterShape) }, { ...attrs, inputShape: c.input }),
      );
    });
  }
});

/**
 * A dilated filter equals an undilated one with (d - 1) zeros between taps. The cpu backend's
 * depthwise gradient kernels ignore `dilations` (tfjs 4.22), so dilated cases are checked against
 * the cpu gradient of that expanded filter: taps at multiples of d for the filter gradient, and
 * the expanded filter itself for the input gradient.
 */
function expandedFilterShape(c: Case, filterShape: number[]): number[] {
  return [(c.filter[0] - 1) * c.dilation + 1, (c.filter[1] - 1) * c.dilation + 1, filterShape[2], filterShape[3]];
}

function expandFilter(filter: tf.Tensor, c: Case): tf.Tensor {
  const [kh, kw, channels, multiplier] = filter.shape;
  const d = c.dilation;
  const values = filter.arraySync() as number[][][][];
  const expanded = tf.buffer([(kh - 1) * d + 1, (kw - 1) * d + 1, channels, multiplier]);
  for (let a = 0; a < kh; a++)
    for (let b = 0; b < kw; b++)
      for (let ch = 0; ch < channels; ch++)
        for (let m = 0; m < multiplier; m++) expanded.set(values[a][b][ch][m], a * d, b * d, ch, m);
  return expanded.toTensor();
}

describe('DepthwiseConv2dNative gradients on wasm', () => {
  const depthwiseCases = [
    ...CASES.map((c) => ({ ...c, channelsOut: 1 })),
    ...CASES.map((c) => ({ ...c, name: `${c.name}, multiplier 3`, channelsOut: 3 })),
    ...DILATED,
    ...DILATED.map((c) => ({ ...c, name: `${c.name}, multiplier 2`, channelsOut: 2 })),
  ];
  for (const c of depthwiseCases) {
    const filterShape = [c.filter[0], c.filter[1], c.input[3], c.channelsOut];
    const attrs = (dilation: number) => ({ strides: [c.stride, c.stride], pad: c.pad, dilations: [dilation, dilation] });

    it(`filter gradient, ${c.name}`, async () => {
      const dyShape = await outputShape(c, filterShape, true);
      const x = randomArray(numel(c.input), 5);
      const dy = randomArray(numel(dyShape), 6);
      const inputs = () => ({ x: tf.tensor(x, c.input), dy: tf.tensor(dy, dyShape) });
      const expected = await onBackend('cpu', () => {
        const full = runKernel('DepthwiseConv2dNativeBackpropFilter', inputs(), { ...attrs(1), filterShape: expandedFilterShape(c, filterShape) });
        return tf.stridedSlice(full, [0, 0, 0, 0], full.shape, [c.dilation, c.dilation, 1, 1]);
      });
      const actual = await onBackend('wasm', () =>
        runKernel('DepthwiseConv2dNativeBackpropFilter', inputs(), { ...attrs(c.dilation), filterShape }),
      );
      expect(maxRelativeError(actual, expected)).toBeLessThan(1e-4);
    });

    it(`input gradient, ${c.name}`, async () => {
      const dyShape = await outputShape(c, filterShape, true);
      const filter = randomArray(numel(filterShape), 7);
      const dy = randomArray(numel(dyShape), 8);
      const expected = await onBackend('cpu', () =>
        runKernel(
          'DepthwiseConv2dNativeBackpropInput',
          { dy: tf.tensor(dy, dyShape), filter: expandFilter(tf.tensor(filter, filterShape), c) },
          { ...attrs(1), inputShape: c.input },
        ),
      );
      const actual = await onBackend('wasm', () =>
        runKernel('DepthwiseConv2dNativeBackpropInput', { dy: tf.tensor(dy, dyShape), filter: tf.tensor(filter, filterShape) }, {
          ...attrs(c.dilation),
          inputShape: c.input,
        }),
      );
      expect(maxRelativeError(actual, expected)).toBeLessThan(1e-4);
    });
  }
});

describe('Conv2D and FusedConv2D on wasm', () => {
  // convolution.wat takes output channels in multiples of 8, or from 32 up (padded to the next
  // multiple of 8), from at least 8 input channels; the rest (12 out, 3 in, sigmoid) are
  // XNNPACK's, checked here too.
  const convCases: Array<Case & { activation: 'linear' | 'relu' | 'relu6' | 'sigmoid'; bias: boolean }> = [
    { name: '3x3 stride 1 same, 8 -> 16, relu, bias', input: [2, 7, 9, 8], filter: [3, 3], channelsOut: 16, stride: 1, pad: 'same', dilation: 1, activation: 'relu', bias: true },
    { name: '3x3 stride 2 same, 11 -> 8, linear', input: [3, 9, 7, 11], filter: [3, 3], channelsOut: 8, stride: 2, pad: 'same', dilation: 1, activation: 'linear', bias: false },
    { name: '5x4 stride 3 valid, 9 -> 24, relu6, bias', input: [2, 13, 12, 9], filter: [5, 4], channelsOut: 24, stride: 3, pad: 'valid', dilation: 1, activation: 'relu6', bias: true },
    { name: '3x3 dilation 2 same, 16 -> 8, linear, bias', input: [1, 10, 9, 16], filter: [3, 3], channelsOut: 8, stride: 1, pad: 'same', dilation: 2, activation: 'linear', bias: true },
    { name: '1x1 stride 2 valid, 8 -> 8, relu', input: [2, 6, 5, 8], filter: [1, 1], channelsOut: 8, stride: 2, pad: 'valid', dilation: 1, activation: 'relu', bias: false },
    { name: '3x3 stride 2 same, 9 -> 33, relu, bias (padded to 40)', input: [3, 9, 8, 9], filter: [3, 3], channelsOut: 33, stride: 2, pad: 'same', dilation: 1, activation: 'relu', bias: true },
    { name: '3x3 stride 1 valid, 16 -> 37, linear (padded to 40)', input: [2, 6, 7, 16], filter: [3, 3], channelsOut: 37, stride: 1, pad: 'valid', dilation: 1, activation: 'linear', bias: false },
    { name: '3x3 stride 1 same, 8 -> 12 (XNNPACK)', input: [2, 7, 9, 8], filter: [3, 3], channelsOut: 12, stride: 1, pad: 'same', dilation: 1, activation: 'relu', bias: true },
    { name: '3x3 stride 1 same, 3 -> 8 (XNNPACK)', input: [2, 7, 9, 3], filter: [3, 3], channelsOut: 8, stride: 1, pad: 'same', dilation: 1, activation: 'linear', bias: false },
    { name: '3x3 stride 1 same, 8 -> 8, sigmoid (XNNPACK)', input: [2, 7, 9, 8], filter: [3, 3], channelsOut: 8, stride: 1, pad: 'same', dilation: 1, activation: 'sigmoid', bias: true },
  ];
  for (const c of convCases) {
    it(c.name, async () => {
      const filterShape = [c.filter[0], c.filter[1], c.input[3], c.channelsOut];
      const x = tf.tensor4d(randomArray(numel(c.input), 21), c.input);
      const filter = tf.tensor4d(randomArray(numel(filterShape), 22), filterShape as [number, number, number, number]);
      const bias = c.bias ? tf.tensor1d(randomArray(c.channelsOut, 23)) : undefined;
      const args = { x, filter, strides: c.stride, pad: c.pad, dilations: c.dilation, bias, activation: c.activation };
      await expectSameOnBothBackends(() => tf.fused.conv2d(args));
      if (!c.bias && c.activation === 'linear') await expectSameOnBothBackends(() => tf.conv2d(x, filter, c.stride, c.pad, 'NHWC', c.dilation));
    });
  }

  it('relu keeps NaN as NaN, as the cpu backend does', async () => {
    const compute = () => {
      const bias = tf.tensor1d([NaN, -1, 2, 0, 0, 0, 0, 0]);
      return tf.fused.conv2d({ x: tf.zeros([1, 1, 1, 8]) as tf.Tensor4D, filter: tf.zeros([1, 1, 8, 8]), strides: 1, pad: 'valid', bias, activation: 'relu' });
    };
    expect(Array.from(await onBackend('wasm', compute))).toEqual([NaN, 0, 2, 0, 0, 0, 0, 0]);
    expect(Array.from(await onBackend('cpu', compute))).toEqual([NaN, 0, 2, 0, 0, 0, 0, 0]);
  });
});

describe('wasm kernels inside a training gradient', () => {
  it('tf.grad of a conv -> depthwise -> conv chain equals the cpu backend, and frees its intermediates', async () => {
    const x = randomArray(2 * 9 * 9 * 3, 11);
    const w1 = randomArray(3 * 3 * 3 * 4, 12);
    const w2 = randomArray(3 * 3 * 4 * 2, 13);
    const w3 = randomArray(1 * 1 * 8 * 5, 14);
    const gradients = () => {
      const loss = (a: tf.Tensor4D, b: tf.Tensor4D, c: tf.Tensor4D) => {
        const h1 = tf.relu(tf.conv2d(tf.tensor4d(x, [2, 9, 9, 3]), a, 2, 'same'));
        const h2 = tf.depthwiseConv2d(h1, b, 1, 'same');
        return tf.conv2d(h2, c, 1, 'valid').square().sum();
      };
      const grads = tf.grads(loss as (...args: tf.Tensor[]) => tf.Tensor)([tf.tensor4d(w1, [3, 3, 3, 4]), tf.tensor4d(w2, [3, 3, 4, 2]), tf.tensor4d(w3, [1, 1, 8, 5])]);
      return tf.concat(grads.map((g) => g.flatten()));
    };
    await expectSameOnBothBackends(gradients);
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    await onBackend('wasm', gradients);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('BatchNormalization passes on wasm (batch-norm.wat)', () => {
  /**
   * mean, biased variance and y = gamma (x - mean) / sqrt(var + eps) + beta per channel, then
   * dbeta = sum dy, dgamma = sum dy x^, dx = gamma / sqrt(var + eps) (dy - dbeta/M - x^ dgamma/M),
   * all in float64 here. 131 channels: 32 vectors and 3 single channels a row.
   */
  function reference(x: Float32Array, dy: Float32Array, gamma: Float32Array, beta: Float32Array, channels: number, epsilon: number) {
    const rows = x.length / channels;
    const mean = new Float64Array(channels);
    const variance = new Float64Array(channels);
    for (let i = 0; i < x.length; i++) mean[i % channels] += x[i] / rows;
    for (let i = 0; i < x.length; i++) variance[i % channels] += (x[i] - mean[i % channels]) ** 2 / rows;
    const inverseStd = variance.map((v) => 1 / Math.sqrt(v + epsilon));
    const normalized = Float64Array.from(x, (v, i) => (v - mean[i % channels]) * inverseStd[i % channels]);
    const y = normalized.map((v, i) => gamma[i % channels] * v + beta[i % channels]);
    const dBeta = new Float64Array(channels);
    const dGamma = new Float64Array(channels);
    for (let i = 0; i < x.length; i++) {
      dBeta[i % channels] += dy[i];
      dGamma[i % channels] += dy[i] * normalized[i];
    }
    const dx = Float64Array.from(dy, (d, i) => {
      const c = i % channels;
      return gamma[c] * inverseStd[c] * (d - dBeta[c] / rows - (normalized[i] * dGamma[c]) / rows);
    });
    return { y, mean, variance, dx, dGamma, dBeta };
  }

  const worst = (actual: ArrayLike<number>, expected: ArrayLike<number>) => {
    let scale = 0;
    for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
    let error = 0;
    for (let i = 0; i < actual.length; i++) error = Math.max(error, Math.abs(actual[i] - expected[i]) / scale);
    return error;
  };

  // 16,009 x 131 = 2,097,179 floats: past PARALLEL_PASS_MIN_FLOATS, rows split between threads;
  // 37 x 131 on the calling thread alone.
  for (const rows of [16_009, 37]) {
    it(`forward and backward of ${rows} rows x 131 channels equal float64 arithmetic to 1e-5`, async () => {
      await tf.setBackend('wasm');
      const channels = 131;
      const epsilon = 1e-3;
      const x = randomArray(rows * channels, 31).map((v, i) => 3 * v + (i % channels) / 10);
      const dy = randomArray(rows * channels, 32);
      const gamma = randomArray(channels, 33).map((v) => v + 1);
      const beta = randomArray(channels, 34);
      const expected = reference(x, dy, gamma, beta, channels, epsilon);
      const inputs = { x: tf.tensor2d(x, [rows, channels]), gamma: tf.tensor1d(gamma), beta: tf.tensor1d(beta) };
      const [y, mean, variance] = tf.engine().runKernel('MorphnetBatchNormTraining', inputs, { epsilon }) as unknown as tf.Tensor[];
      const grads = tf.engine().runKernel('MorphnetBatchNormTrainingGrad', { dy: tf.tensor2d(dy, [rows, channels]), x: inputs.x, mean, variance, gamma: inputs.gamma }, { epsilon }) as unknown as tf.Tensor[];
      const [dx, dGamma, dBeta] = grads;
      const pairs: Array<[tf.Tensor, Float64Array]> = [[y, expected.y], [mean, expected.mean], [variance, expected.variance], [dx, expected.dx], [dGamma, expected.dGamma], [dBeta, expected.dBeta]];
      for (const [i, [tensor, values]] of pairs.entries()) expect(worst(tensor.dataSync(), values), `output ${i}`).toBeLessThan(1e-5);
      tf.dispose([y, mean, variance, ...grads, ...Object.values(inputs)]);
    });
  }

  it('gives the same bits with 1 and 2 threads (the sums always split into the same 8 parts)', async () => {
    const channels = 131;
    const rows = 16_009;
    const x = randomArray(rows * channels, 41);
    const dy = randomArray(rows * channels, 42);
    const run = async (threads: number) => {
      await initBackend('wasm', threads);
      return tf.tidy(() => {
        const gamma = tf.ones([channels]);
        const inputs = { x: tf.tensor2d(x, [rows, channels]), gamma, beta: tf.zeros([channels]) };
        const [y, mean, variance] = tf.engine().runKernel('MorphnetBatchNormTraining', inputs, { epsilon: 1e-3 }) as unknown as tf.Tensor[];
        const grads = tf.engine().runKernel('MorphnetBatchNormTrainingGrad', { dy: tf.tensor2d(dy, [rows, channels]), x: inputs.x, mean, variance, gamma }, { epsilon: 1e-3 }) as unknown as tf.Tensor[];
        return [y, mean, variance, ...grads].map((t) => Buffer.from((t.dataSync() as Float32Array).slice().buffer));
      });
    };
    const one = await run(1);
    const two = await run(2);
    await initBackend('wasm');
    two.forEach((bytes, i) => expect(bytes.equals(one[i]), `output ${i} bit for bit`).toBe(true));
  });
});

describe('Identity on wasm', () => {
  it('shares the data: either tensor can be disposed first, and the other still reads it', async () => {
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const dataIds = backend.numDataIds();
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const y = tf.clone(x); // the Identity kernel
    expect(backend.numDataIds()).toBe(dataIds + 1);
    x.dispose();
    expect(Array.from(await y.data())).toEqual([1, 2, 3, 4, 5, 6]);
    const z = tf.clone(y);
    y.dispose();
    expect(Array.from(await z.data())).toEqual([1, 2, 3, 4, 5, 6]);
    z.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(backend.numDataIds()).toBe(dataIds);
  });
});

describe('Tile on wasm', () => {
  for (const [shape, reps] of [
    [[1, 1, 1, 5], [3, 4, 2, 1]],
    [[2, 3], [2, 3]],
    [[3, 1, 4], [1, 5, 2]],
    [[7], [3]],
    [[2, 1, 3, 1], [2, 2, 2, 2]],
    [[2, 2, 2, 2], [2, 1, 2, 3]], // 8 broadcast dimensions: wasm's own Tile
  ] as Array<[number[], number[]]>) {
    it(`tiles [${shape}] by [${reps}] as the cpu backend does`, async () => {
      const values = randomArray(numel(shape), 21);
      await expectSameOnBothBackends(() => tf.tile(tf.tensor(values, shape), reps));
    });
  }
});

describe('Sum and Mean over leading axes on wasm', () => {
  for (const [shape, axis, keepDims] of [
    [[4, 23, 17, 3], [0, 1, 2], false], // BatchNormalization's reduction, odd sizes
    [[4, 23, 17, 3], [-4, -3, -2], true],
    [[40, 31, 7], [1, 0], false], // unsorted axes
    [[1500, 3], 0, true], // one axis: a single pooled row
    [[5, 9, 11, 2], [0, 1, 2], false], // 495 reduced: wasm's own kernel
    [[6, 20, 30, 2], [1, 2], false], // not leading: wasm's own kernel
  ] as Array<[number[], number | number[], boolean]>) {
    for (const op of ['sum', 'mean'] as const) {
      it(`${op} of [${shape}] over ${JSON.stringify(axis)}${keepDims ? ', keepDims' : ''} as the cpu backend does`, async () => {
        const values = randomArray(numel(shape), 31);
        await expectSameOnBothBackends(() => tf[op](tf.tensor(values, shape), axis, keepDims));
      });
    }
  }
});

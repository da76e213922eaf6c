import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../select.js';
import { heapOf, memoryOf } from '../wasm-internals.js';
import { HeapGuard } from './heap-guard.js';
import { BATCH_NORM_TRAINING, BATCH_NORM_TRAINING_GRAD } from './simd-batch-norm.js';
import { CLIP_GRAD } from './simd-clip.js';
import { PARALLEL_PASS_MIN_FLOATS } from './simd-kernels.js';
import { RELU_GRAD } from './simd-relu-grad.js';
import { maxRelativeError, numel, randomArray } from './test-fixtures.js';

/**
 * Every kernel this project runs on the wasm heap, over many random edge shapes (widths 1-17,
 * batch 1-3, strides 1-2, same and valid padding, dilation, channel counts around the SIMD
 * tiles' 4, 8 and 16), on a pool of 3 threads (so some dispatches leave a worker idle), with
 * every heap block guarded (heap-guard.ts): no kernel may write past either end of any block,
 * into a freed block, or into any block but its own outputs; and each result must equal the
 * cpu backend's.
 */
const THREADS = Number(process.env.KERNEL_BOUNDS_THREADS ?? 3);
/** More with KERNEL_BOUNDS_CASES=N, other pools with KERNEL_BOUNDS_THREADS=N (a long check, by hand). */
const CASES_PER_KERNEL = Number(process.env.KERNEL_BOUNDS_CASES ?? 12);
/** Generous: a test takes ~0.5 s a case on a loaded 2-core machine. */
const TIMEOUT = 10_000 * CASES_PER_KERNEL;

type Inputs = Record<string, { shape: number[]; values: Float32Array }>;
type Attrs = Record<string, unknown>;

let guard: HeapGuard;

beforeAll(async () => {
  const choice = await initBackend('wasm', THREADS);
  expect(choice.threads).toBe(THREADS);
  const heap = heapOf(tf.backend())!;
  guard = new HeapGuard(heap, memoryOf(heap));
  guard.install();
});

afterAll(() => guard?.uninstall());

/** A linear congruential generator: the same cases on every run. */
function cases(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  return { int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)), pick: <T>(items: readonly T[]) => items[Math.floor(next() * items.length)] };
}

function tensors(inputs: Inputs): Record<string, tf.Tensor> {
  return Object.fromEntries(Object.entries(inputs).map(([name, { shape, values }]) => [name, tf.tensor(values, shape)]));
}

function outputsOf(result: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
  return Array.isArray(result) ? result : [result];
}

/**
 * Runs `kernel` on wasm with the heap guarded; returns its outputs' values and every fault:
 * guard bytes overwritten, freed blocks written, or blocks that existed before the kernel (its
 * inputs, and everything else live) changed by it.
 */
async function guardedRun(kernel: string, inputs: Inputs, attrs: Attrs): Promise<{ values: Float32Array[]; faults: string[] }> {
  await tf.setBackend('wasm');
  const inputTensors = tensors(inputs);
  const before = guard.snapshot();
  const outputs = outputsOf(tf.engine().runKernel(kernel, inputTensors, attrs as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[]);
  const faults = [...guard.check(), ...guard.unchangedSince(before)];
  const values = outputs.map((t) => t.dataSync() as Float32Array);
  tf.dispose([...outputs, ...Object.values(inputTensors)]);
  return { values, faults: [...faults, ...guard.check()] };
}

/** The reference: `compute` on the cpu backend. */
async function onCpu(inputs: Inputs, compute: (t: Record<string, tf.Tensor>) => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend('cpu');
  return tf.tidy(() => outputsOf(compute(tensors(inputs)))).map((t) => {
    const values = t.dataSync() as Float32Array;
    t.dispose();
    return values;
  });
}

/**
 * Checks one case: no faults, and each output within 1e-4 (relative to its largest value) of
 * the cpu's; `reference` null: faults only.
 */
async function expectCase(label: string, kernel: string, inputs: Inputs, attrs: Attrs, reference: ((t: Record<string, tf.Tensor>) => tf.Tensor | tf.Tensor[]) | null) {
  const { values, faults } = await guardedRun(kernel, inputs, attrs);
  expect(faults, label).toEqual([]);
  if (!reference) return;
  const expected = await onCpu(inputs, reference);
  expect(values.length, label).toBe(expected.length);
  values.forEach((actual, k) => expect(maxRelativeError(actual, expected[k]), `${label}, output ${k}`).toBeLessThan(1e-4));
}

/** The reference for a kernel the cpu backend has too: the same kernel there. */
const cpuKernel = (kernel: string, attrs: Attrs) => (t: Record<string, tf.Tensor>) => tf.engine().runKernel(kernel, t, attrs as tf.NamedAttrMap) as tf.Tensor;

const random = (shape: number[], seed: number) => ({ shape, values: randomArray(numel(shape), seed) });

interface ConvCase {
  label: string;
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: [number, number];
  pad: 'same' | 'valid';
  dilations: [number, number];
  out: [number, number, number, number];
}

/** Channel counts around the tiles: 4-channel vectors, 8-channel result tiles, 16-wide pairs, and the 32 threshold. */
const CHANNELS = [1, 2, 3, 4, 5, 7, 8, 9, 12, 13, 16, 17, 24, 33, 40] as const;

/** A random convolution geometry with a non-empty output; `depthwise`: out channels are in * multiplier. */
function convCase(r: ReturnType<typeof cases>, depthwise: boolean, dilated: boolean): ConvCase {
  for (;;) {
    const x: [number, number, number, number] = [r.int(1, 3), r.int(1, 17), r.int(1, 17), r.pick(CHANNELS)];
    const filter: [number, number, number, number] = [r.int(1, 5), r.int(1, 5), x[3], depthwise ? r.int(1, 3) : r.pick(CHANNELS)];
    const strides: [number, number] = dilated ? [1, 1] : [r.int(1, 2), r.int(1, 2)];
    const dilations: [number, number] = dilated ? [r.int(1, 2), r.int(1, 2)] : [1, 1];
    const pad = r.pick(['same', 'valid'] as const);
    const info = tf.backend_util.computeConv2DInfo(x, filter, strides, dilations, pad, undefined, depthwise);
    if (info.outHeight < 1 || info.outWidth < 1) continue;
    const out: [number, number, number, number] = [x[0], info.outHeight, info.outWidth, info.outChannels];
    return { label: `x ${x} filter ${filter} strides ${strides} ${pad} dilations ${dilations}`, x, filter, strides, pad, dilations, out };
  }
}

/**
 * tfjs-backend-wasm 4.22's own (XNNPACK) convolution returns wrong values (zeros, for some)
 * for a non-square filter with a stride above 1 and 'same' padding: x [1,4,6,1], filter
 * [4,1,1,7], strides [1,2] or [2,2]; x [2,8,8,4], filter [1,3,4,5], strides [2,2]. Such
 * cases reach it when convolution.wat does not take them: only faults are checked there.
 */
const xnnpackWrong = (c: ConvCase) => c.pad === 'same' && c.filter[0] !== c.filter[1] && (c.strides[0] > 1 || c.strides[1] > 1);

const convAttrs = (c: ConvCase) => ({ strides: c.strides, pad: c.pad, dilations: c.dilations, dataFormat: 'NHWC', dimRoundingMode: undefined });

describe('convolution kernels, guarded heap, random edge shapes', () => {
  it('Conv2D and FusedConv2D (bias, relu / relu6 / linear)', async () => {
    const r = cases(11);
    for (let k = 0; k < CASES_PER_KERNEL; k++) {
      const c = convCase(r, false, k % 4 === 0);
      const inputs = { x: random(c.x, k), filter: random(c.filter, k + 100) };
      const reference = xnnpackWrong(c) ? null : (t: Record<string, tf.Tensor>) => tf.conv2d(t.x as tf.Tensor4D, t.filter as tf.Tensor4D, c.strides, c.pad, 'NHWC', c.dilations);
      await expectCase(`Conv2D ${c.label}`, 'Conv2D', inputs, convAttrs(c), reference);
      const activation = r.pick(['relu', 'relu6', 'linear'] as const);
      const fused = { ...inputs, bias: random([c.filter[3]], k + 200) };
      const fusedReference = (t: Record<string, tf.Tensor>) =>
        tf.fused.conv2d({ x: t.x as tf.Tensor4D, filter: t.filter as tf.Tensor4D, strides: c.strides, pad: c.pad, dilations: c.dilations, bias: t.bias, activation });
      await expectCase(`FusedConv2D ${activation} ${c.label}`, 'FusedConv2D', fused, { ...convAttrs(c), activation }, xnnpackWrong(c) ? null : fusedReference);
    }
  }, TIMEOUT);

  it('Conv2DBackpropFilter and Conv2DBackpropInput', async () => {
    const r = cases(12);
    for (let k = 0; k < CASES_PER_KERNEL; k++) {
      // tfjs's convolution gradients take no dilation.
      const c = convCase(r, false, false);
      const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: undefined };
      const forFilter = { x: random(c.x, k), dy: random(c.out, k + 100) };
      await expectCase(`Conv2DBackpropFilter ${c.label}`, 'Conv2DBackpropFilter', forFilter, { ...attrs, filterShape: c.filter }, cpuKernel('Conv2DBackpropFilter', { ...attrs, filterShape: c.filter }));
      const forInput = { dy: random(c.out, k + 200), filter: random(c.filter, k + 300) };
      await expectCase(`Conv2DBackpropInput ${c.label}`, 'Conv2DBackpropInput', forInput, { ...attrs, inputShape: c.x }, (t) =>
        tf.conv2dTranspose(t.dy as tf.Tensor4D, t.filter as tf.Tensor4D, c.x, c.strides, c.pad),
      );
    }
  }, TIMEOUT);

  it('DepthwiseConv2dNative and its two gradients', async () => {
    const r = cases(13);
    for (let k = 0; k < CASES_PER_KERNEL; k++) {
      // The cpu backend's depthwise gradients ignore dilation: only the forward pass takes it.
      const c = convCase(r, true, k % 4 === 0);
      const attrs = convAttrs(c);
      await expectCase(`DepthwiseConv2dNative ${c.label}`, 'DepthwiseConv2dNative', { x: random(c.x, k), filter: random(c.filter, k + 100) }, attrs, (t) =>
        tf.depthwiseConv2d(t.x as tf.Tensor4D, t.filter as tf.Tensor4D, c.strides, c.pad, 'NHWC', c.dilations),
      );
      if (c.dilations[0] > 1 || c.dilations[1] > 1) continue;
      const forFilter = { x: random(c.x, k + 200), dy: random(c.out, k + 300) };
      await expectCase(`DepthwiseConv2dNativeBackpropFilter ${c.label}`, 'DepthwiseConv2dNativeBackpropFilter', forFilter, { ...attrs, filterShape: c.filter }, cpuKernel('DepthwiseConv2dNativeBackpropFilter', { ...attrs, filterShape: c.filter }));
      const forInput = { dy: random(c.out, k + 400), filter: random(c.filter, k + 500) };
      await expectCase(`DepthwiseConv2dNativeBackpropInput ${c.label}`, 'DepthwiseConv2dNativeBackpropInput', forInput, { ...attrs, inputShape: c.x }, cpuKernel('DepthwiseConv2dNativeBackpropInput', { ...attrs, inputShape: c.x }));
    }
  }, TIMEOUT);
});

/** Shapes for the per-element and per-channel passes: small odd ones, and one above PARALLEL_PASS_MIN_FLOATS (split between threads). */
function passShapes(r: ReturnType<typeof cases>): number[][] {
  const small = Array.from({ length: CASES_PER_KERNEL }, () => [r.int(1, 3), r.int(1, 17), r.int(1, 17), r.pick(CHANNELS)]);
  // 2,130,048 floats > 2^21: rows split between 3 threads (not a multiple of 4 per thread), 33 channels (a tail of 1).
  return [...small, [2, 181, 178, 33]];
}

describe('per-element and per-channel passes, guarded heap', () => {
  it('Relu, Relu6, ClipByValue and the ReLU and clip gradients', async () => {
    const r = cases(14);
    for (const shape of passShapes(r)) {
      const label = `shape ${shape}`;
      const x = random(shape, numel(shape));
      const dy = random(shape, 7);
      await expectCase(`Relu ${label}`, 'Relu', { x }, {}, (t) => tf.relu(t.x));
      await expectCase(`Relu6 ${label}`, 'Relu6', { x }, {}, (t) => tf.relu6(t.x));
      await expectCase(`ClipByValue ${label}`, 'ClipByValue', { x }, { clipValueMin: -0.2, clipValueMax: 0.3 }, (t) => tf.clipByValue(t.x, -0.2, 0.3));
      await expectCase(`ReluGrad ${label}`, RELU_GRAD, { dy, x }, {}, (t) => tf.mul(t.dy, tf.step(t.x)));
      await expectCase(`ClipGrad ${label}`, CLIP_GRAD, { dy, x }, { clipValueMin: -0.2, clipValueMax: 0.3 }, (t) =>
        tf.where(tf.logicalAnd(tf.greaterEqual(t.x, -0.2), tf.lessEqual(t.x, 0.3)), t.dy, tf.zerosLike(t.dy)),
      );
    }
  }, TIMEOUT);

  it('batch normalization forward and backward', async () => {
    const r = cases(15);
    const epsilon = 1e-3;
    for (const shape of passShapes(r)) {
      const channels = shape[3];
      const axes = [0, 1, 2];
      const x = random(shape, numel(shape));
      const gamma = random([channels], 3);
      const beta = random([channels], 4);
      await expectCase(`BatchNormTraining shape ${shape}`, BATCH_NORM_TRAINING, { x, gamma, beta }, { epsilon }, (t) => {
        const { mean, variance } = tf.moments(t.x, axes);
        return [tf.batchNorm(t.x, mean, variance, t.beta, t.gamma, epsilon), mean, variance];
      });
      const stats = await onCpu({ x }, (t) => { const m = tf.moments(t.x, axes); return [m.mean, m.variance]; });
      const backward = { dy: random(shape, 5), x, mean: { shape: [channels], values: stats[0] }, variance: { shape: [channels], values: stats[1] }, gamma };
      await expectCase(`BatchNormTrainingGrad shape ${shape}`, BATCH_NORM_TRAINING_GRAD, backward, { epsilon }, (t) => {
        const inverseStd = tf.rsqrt(tf.add(t.variance, epsilon));
        const normalized = tf.mul(tf.sub(t.x, t.mean), inverseStd);
        const count = numel(shape) / channels;
        const dBeta = tf.sum(t.dy, axes);
        const dGamma = tf.sum(tf.mul(t.dy, normalized), axes);
        const dx = tf.mul(tf.sub(tf.sub(t.dy, tf.div(dBeta, count)), tf.mul(normalized, tf.div(dGamma, count))), tf.mul(t.gamma, inverseStd));
        return [dx, dGamma, dBeta];
      });
    }
  }, TIMEOUT);

  it('Tile, Sum and Mean over leading axes', async () => {
    const r = cases(16);
    for (const shape of passShapes(r).slice(0, CASES_PER_KERNEL)) {
      const x = random(shape, numel(shape));
      const reps = [r.int(1, 3), r.int(1, 2), 1, r.int(1, 2)];
      await expectCase(`Tile shape ${shape} reps ${reps}`, 'Tile', { x }, { reps }, (t) => tf.tile(t.x, reps));
      const axis = [0, 1, 2].slice(0, r.int(1, 3));
      // Large enough (>= 1024 reduced elements) to take the pooling path.
      const big = random([shape[0] * 32, shape[1], shape[2], shape[3]], 9);
      await expectCase(`Sum shape ${big.shape} axis ${axis}`, 'Sum', { x: big }, { axis, keepDims: false }, (t) => tf.sum(t.x, axis));
      await expectCase(`Mean shape ${big.shape} axis ${axis}`, 'Mean', { x: big }, { axis, keepDims: true }, (t) => tf.mean(t.x, axis, true));
    }
  }, TIMEOUT);

  it('PARALLEL_PASS_MIN_FLOATS is below the large case, so the threaded split is covered', () => {
    expect(2 * 181 * 178 * 33).toBeGreaterThan(PARALLEL_PASS_MIN_FLOATS);
  });
});

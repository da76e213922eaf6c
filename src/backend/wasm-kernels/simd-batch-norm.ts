import { util, type KernelBackend, type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs';
import { HeapBlocks, writeNewTensor, type WasmBackend } from './heap-blocks.js';
import { PARALLEL_PASS_MIN_FLOATS, simdKernelsFor, splitRange, type SimdKernels } from './simd-kernels.js';

/**
 * Batch normalization's training step in a few passes of batch-norm.wat (channels last):
 * forward 3 passes (sum, squared deviations, normalize), backward 2 (the two sums, dx), where
 * composing tfjs ops takes ~13. Registered for wasm under these names; fused-batch-norm.ts
 * calls them there.
 */
export const BATCH_NORM_TRAINING = 'MorphnetBatchNormTraining';
export const BATCH_NORM_TRAINING_GRAD = 'MorphnetBatchNormTrainingGrad';

/** The sums' blocks are flushed 4 floats at a time: room for the last vector. */
const SUM_SLACK_FLOATS = 3;

/** Row ranges the sums always split into (whatever the threads), each with its own total. */
const SUM_PARTS = 8;

type KernelArgs = { inputs: Record<string, TensorInfo>; backend: KernelBackend; attrs: NamedAttrMap };

/** One call's view of the heap: tensors by offset, scratch blocks, the kernels. */
class Passes {
  readonly heap: HeapBlocks;
  readonly kernels: SimdKernels;
  readonly channels: number;
  readonly rows: number;

  constructor(
    readonly backend: WasmBackend,
    x: TensorInfo,
  ) {
    this.kernels = simdKernelsFor(backend);
    this.heap = new HeapBlocks(this.kernels.heap, this.kernels.memory);
    this.channels = x.shape[x.shape.length - 1];
    this.rows = util.sizeFromShape(x.shape) / this.channels;
  }

  /** Threads a pass uses: one for a small tensor. */
  threads(): number {
    return this.rows * this.channels < PARALLEL_PASS_MIN_FLOATS ? 1 : this.kernels.threads;
  }

  offset(t: TensorInfo): number {
    return this.backend.getMemoryOffset(t.dataId);
  }

  values(t: TensorInfo): Float32Array {
    return this.heap.floats().slice(this.offset(t) / 4, this.offset(t) / 4 + this.channels);
  }

  /**
   * Per-channel sums (`totals` vectors of C) of one of the sum exports over SUM_PARTS fixed
   * row ranges, as many at a time as there are threads, the parts added in float64 in order:
   * the same bits with any number of threads.
   */
  sums(exportName: string, leadingArgs: number[], totals: number): Float64Array[] {
    const parts = splitRange(this.rows, SUM_PARTS);
    const block = (this.channels * totals + SUM_SLACK_FLOATS) * 4;
    const out = this.heap.allocate(block * parts.length);
    const scratch = this.heap.allocate(block * parts.length);
    const jobs = parts.map(([r0, r1], k) => [...leadingArgs, r0, r1, this.channels, out + k * block, scratch + k * block]);
    const threads = this.threads();
    for (let first = 0; first < jobs.length; first += threads) this.kernels.run('batch-norm', exportName, jobs.slice(first, first + threads));
    const floats = this.heap.floats();
    return Array.from({ length: totals }, (_, t) => {
      const sum = new Float64Array(this.channels);
      for (let k = 0; k < parts.length; k++) {
        const start = (out + k * block) / 4 + t * this.channels;
        for (let c = 0; c < this.channels; c++) sum[c] += floats[start + c];
      }
      return sum;
    });
  }

  /** A new [rows, C] tensor (x's shape) from one of the affine exports. */
  affine(exportName: string, inputs: number[], coefficients: Float64Array[], shape: number[]): TensorInfo {
    const coef = this.heap.allocate(coefficients.length * this.channels * 4);
    this.heap.floats().set(coefficients.flatMap((row) => Array.from(row)), coef / 4);
    const jobs = splitRange(this.rows, this.threads());
    return writeNewTensor(this.backend, shape, (result) =>
      this.kernels.run('batch-norm', exportName, jobs.map(([r0, r1]) => [...inputs, coef, r0, r1, this.channels, this.offset(result)])),
    );
  }

  vector(values: Float64Array): TensorInfo {
    return this.backend.makeOutput([this.channels], 'float32', undefined, Float32Array.from(values));
  }

  free(): void {
    this.heap.free();
  }
}

function withPasses(backend: KernelBackend, x: TensorInfo, body: (passes: Passes) => TensorInfo[]): TensorInfo[] {
  const passes = new Passes(backend as WasmBackend, x);
  try {
    return body(passes);
  } finally {
    passes.free();
  }
}

/** inputs x, gamma, beta; attrs epsilon -> [y, mean, variance] (biased, as tf.moments). */
export const batchNormTraining: KernelFunc = (kernelArgs) => {
  const { inputs, backend, attrs } = kernelArgs as unknown as KernelArgs;
  const { x, gamma, beta } = inputs;
  const epsilon = attrs.epsilon as number;
  return withPasses(backend, x, (passes) => {
    const [sum] = passes.sums('sums', [passes.offset(x)], 1);
    const mean = sum.map((s) => s / passes.rows);
    const meanTensor = passes.vector(mean);
    const [squares] = passes.sums('sq_dev_sums', [passes.offset(x), passes.offset(meanTensor)], 1);
    const variance = squares.map((s) => s / passes.rows);
    const gammas = passes.values(gamma);
    const betas = passes.values(beta);
    const scale = variance.map((v, c) => gammas[c] / Math.sqrt(v + epsilon));
    const shift = mean.map((m, c) => betas[c] - m * scale[c]);
    const y = passes.affine('affine', [passes.offset(x)], [scale, shift], x.shape);
    return [y, meanTensor, passes.vector(variance)];
  });
};

/**
 * inputs dy, x, mean, variance, gamma; attrs epsilon -> [dx, dgamma, dbeta], with M rows and
 * x^ = (x - mean) / sqrt(var + eps): dbeta = sum(dy), dgamma = sum(dy * x^),
 * dx = gamma / sqrt(var + eps) * (dy - dbeta / M - x^ * dgamma / M), computed as
 * x * a + dy * b + d per channel.
 */
export const batchNormTrainingGrad: KernelFunc = (kernelArgs) => {
  const { inputs, backend, attrs } = kernelArgs as unknown as KernelArgs;
  const { dy, x, mean, variance, gamma } = inputs;
  const epsilon = attrs.epsilon as number;
  return withPasses(backend, x, (passes) => {
    const [dBeta, dyDeviation] = passes.sums('grad_sums', [passes.offset(x), passes.offset(dy), passes.offset(mean)], 2);
    const means = passes.values(mean);
    const gammas = passes.values(gamma);
    const inverseStd = Float64Array.from(passes.values(variance), (v) => 1 / Math.sqrt(v + epsilon));
    const dGamma = dyDeviation.map((s, c) => s * inverseStd[c]);
    const b = gammas.map((g, c) => g * inverseStd[c]);
    const a = Float64Array.from(b, (bc, c) => (-bc * inverseStd[c] * dGamma[c]) / passes.rows);
    const d = Float64Array.from(b, (bc, c) => (-bc * dBeta[c]) / passes.rows - a[c] * means[c]);
    const dx = passes.affine('affine2', [passes.offset(x), passes.offset(dy)], [a, Float64Array.from(b), d], x.shape);
    return [dx, passes.vector(dGamma), passes.vector(dBeta)];
  });
};

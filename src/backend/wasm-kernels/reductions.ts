import type { KernelBackend, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { withKernelScope, type KernelScope } from './kernel-scope.js';

/** Below this many reduced elements per output, wasm's own loop is as fast. */
const MIN_REDUCED = 1024;

const product = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** The reduced axes when they are a leading prefix (0..k-1) of x's axes, else undefined. */
function leadingAxes(axis: number | number[], rank: number): number | undefined {
  const axes = [...new Set((Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b);
  return axes.every((a, i) => a === i) && axes.length < rank ? axes.length : undefined;
}

/**
 * The mean over x's first `k` axes, as an XNNPACK average pooling (SIMD, threaded over the
 * first axis): x viewed as [B, P, 1, C] with B the first dimension and P the rest of the reduced
 * ones, pooled P x 1 to [B, 1, 1, C]; the B rows are then summed by wasm's Sum (B x C is small).
 * Returns the sum of the B row means, shaped [C]; the callers scale it.
 */
function rowMeansSum(scope: KernelScope, x: TensorInfo, k: number): { sumOfMeans: TensorInfo; rows: number; pooled: number } {
  const reduced = product(x.shape.slice(0, k));
  const kept = product(x.shape.slice(k));
  const rows = k > 1 ? x.shape[0] : 1;
  const pooled = reduced / rows;
  const view = scope.reshape(x, [rows, pooled, 1, kept]);
  const means = scope.run('AvgPool', { x: view }, { filterSize: [pooled, 1], strides: [pooled, 1], pad: 'valid', dimRoundingMode: undefined } as unknown as NamedAttrMap);
  const sumOfMeans = scope.run('Sum', { x: scope.reshape(means, [rows, kept]) }, { axis: [0], keepDims: false } as unknown as NamedAttrMap);
  return { sumOfMeans, rows, pooled };
}

type Reduction = 'Sum' | 'Mean';

/**
 * Sum and Mean over leading axes (BatchNormalization's statistics and its gradient reduce
 * NHWC tensors over [0, 1, 2]): wasm's own kernels transpose the reduced axes to the end and
 * add in a scalar loop; this pools instead. Other reductions go to wasm's kernel.
 */
export function makeReductionKernel(reduction: Reduction, fallback: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args as { inputs: Record<string, TensorInfo>; backend: KernelBackend; attrs: NamedAttrMap };
    const x = inputs.x;
    const k = leadingAxes(attrs.axis as unknown as number | number[], x.shape.length);
    if (x.dtype !== 'float32' || k === undefined || product(x.shape.slice(0, k)) < MIN_REDUCED) return fallback(args);
    const outShape = attrs.keepDims ? x.shape.map((size, axis) => (axis < k ? 1 : size)) : x.shape.slice(k);
    return withKernelScope(backend, (scope) => {
      const { sumOfMeans, rows, pooled } = rowMeansSum(scope, x, k);
      const scale = reduction === 'Sum' ? pooled : 1 / rows;
      const factor = scope.run('Fill', {}, { shape: [], value: scale, dtype: 'float32' } as unknown as NamedAttrMap);
      return scope.reshape(scope.run('Multiply', { a: sumOfMeans, b: factor }), outShape);
    });
  };
}

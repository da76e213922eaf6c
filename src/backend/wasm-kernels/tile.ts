import type { KernelBackend, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { withKernelScope } from './kernel-scope.js';

/** XNNPACK's broadcasting binary ops take at most this many dimensions. */
const MAX_BROADCAST_RANK = 6;

/**
 * Tile as a broadcast: an axis of size s repeated r times is a new axis of size r in front of
 * it, broadcast by adding zeros (one XNNPACK pass) and folded back by a reshape. Where s is 1
 * (BatchNormalization's gradient tiles [1,1,1,C] to [N,H,W,C]) the axis is broadcast in place.
 * wasm's own Tile is an element loop; it stays the fallback for shapes beyond 6 dimensions.
 */
export function makeTileKernel(fallback: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args as { inputs: Record<string, TensorInfo>; backend: KernelBackend; attrs: NamedAttrMap };
    const x = inputs.x;
    const reps = attrs.reps as unknown as number[];
    const spread: number[] = [];
    const broadcastTo: number[] = [];
    x.shape.forEach((size, axis) => {
      if (reps[axis] > 1 && size > 1) {
        spread.push(1, size);
        broadcastTo.push(reps[axis], size);
      } else {
        spread.push(size);
        broadcastTo.push(size * reps[axis]);
      }
    });
    if (x.dtype !== 'float32' || broadcastTo.length > MAX_BROADCAST_RANK) return fallback(args);
    const outShape = x.shape.map((size, axis) => size * reps[axis]);
    return withKernelScope(backend, (scope) => {
      const zeros = scope.run('Fill', {}, { shape: broadcastTo, value: 0, dtype: 'float32' } as unknown as NamedAttrMap);
      const broadcast = scope.run('Add', { a: scope.reshape(x, spread), b: zeros });
      return scope.reshape(broadcast, outShape);
    });
  };
}

import { getKernel, type KernelBackend, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs';

/**
 * Runs registered wasm kernels directly on TensorInfos (no engine, no tape), so a composite
 * kernel can be built from kernels the wasm backend has. Every intermediate is released by
 * `dispose`, except the one handed back with `keep`.
 */
export class KernelScope {
  private readonly intermediates: TensorInfo[] = [];

  constructor(private readonly backend: KernelBackend) {}

  run(kernelName: string, inputs: Record<string, TensorInfo>, attrs: NamedAttrMap = {}): TensorInfo {
    const kernel = getKernel(kernelName, 'wasm');
    if (kernel == null) throw new Error(`wasm kernel ${kernelName} is not registered`);
    const out = kernel.kernelFunc({ inputs, attrs, backend: this.backend }) as TensorInfo;
    this.intermediates.push(out);
    return out;
  }

  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    return this.run('Reshape', { x }, { shape });
  }

  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    return this.run('Transpose', { x }, { perm });
  }

  /** Slices [0, size) along each axis; returns x itself when nothing is cut. */
  cropTo(x: TensorInfo, shape: number[]): TensorInfo {
    if (shape.every((size, axis) => size === x.shape[axis])) return x;
    return this.run('Slice', { x }, { begin: shape.map(() => 0), size: shape });
  }

  keep(result: TensorInfo): TensorInfo {
    const index = this.intermediates.lastIndexOf(result);
    if (index >= 0) this.intermediates.splice(index, 1);
    return result;
  }

  dispose(): void {
    for (const info of this.intermediates) this.backend.disposeData(info.dataId);
    this.intermediates.length = 0;
  }
}

/** Runs `body` in a fresh scope and returns its kept result, releasing everything else. */
export function withKernelScope(backend: KernelBackend, body: (scope: KernelScope) => TensorInfo): TensorInfo {
  const scope = new KernelScope(backend);
  try {
    return scope.keep(body(scope));
  } finally {
    scope.dispose();
  }
}

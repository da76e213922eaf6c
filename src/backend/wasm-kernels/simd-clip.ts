import { util, type KernelBackend, type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs';
import { writeNewTensor, type WasmBackend } from './heap-blocks.js';
import { PARALLEL_PASS_MIN_FLOATS, simdKernelsFor, splitRange } from './simd-kernels.js';

/** Registered for wasm under this name; clip-gradient.ts uses it there. */
export const CLIP_GRAD = 'MorphnetClipGrad';

/** Element ranges a thread takes start at multiples of this (whole SIMD vectors). */
const VECTOR = 4;

type KernelArgs = { inputs: Record<string, TensorInfo>; backend: KernelBackend; attrs: NamedAttrMap };

/** The bits of a float32, as clip.wat takes its bounds. */
function f32Bits(value: number): number {
  return new Int32Array(Float32Array.of(value).buffer)[0];
}

/**
 * A new tensor shaped like `like`, written by one export of clip.wat: elements split into whole
 * vectors between threads (one thread below PARALLEL_PASS_MIN_FLOATS), each job's arguments
 * [...before, out, e0, e1, lo bits, hi bits, ...after].
 */
function clipPass(backend: KernelBackend, like: TensorInfo, exportName: 'clamp' | 'clip_grad', before: TensorInfo[], [lo, hi]: [number, number], after: number[] = []): TensorInfo {
  const wasm = backend as WasmBackend;
  const kernels = simdKernelsFor(wasm);
  const size = util.sizeFromShape(like.shape);
  const threads = size < PARALLEL_PASS_MIN_FLOATS ? 1 : kernels.threads;
  const pointers = before.map((t) => wasm.getMemoryOffset(t.dataId));
  return writeNewTensor(wasm, like.shape, (result) => {
    const out = wasm.getMemoryOffset(result.dataId);
    const jobs = splitRange(Math.ceil(size / VECTOR), threads).map(([v0, v1]) => [...pointers, out, v0 * VECTOR, Math.min(size, v1 * VECTOR), f32Bits(lo), f32Bits(hi), ...after]);
    kernels.run('clip', exportName, jobs);
  });
}

/** inputs dy, x; attrs clipValueMin, clipValueMax -> dy where min <= x <= max, else +0. */
export const clipGrad: KernelFunc = (kernelArgs) => {
  const { inputs, backend, attrs } = kernelArgs as unknown as KernelArgs;
  return clipPass(backend, inputs.x, 'clip_grad', [inputs.dy, inputs.x], [attrs.clipValueMin as number, attrs.clipValueMax as number]);
};

/**
 * The clamp bounds of Relu, Relu6 and ClipByValue, and whether the cpu backend computes them
 * with IEEE max and min (Math.max(0, -0) = +0) or with comparisons that keep -0 (ClipByValue).
 */
const BOUNDS: Record<string, (attrs: NamedAttrMap) => { bounds: [number, number]; ieee: boolean }> = {
  Relu: () => ({ bounds: [0, Infinity], ieee: true }),
  Relu6: () => ({ bounds: [0, 6], ieee: true }),
  ClipByValue: (attrs) => ({ bounds: [attrs.clipValueMin as number, attrs.clipValueMax as number], ieee: false }),
};

export const CLAMP_KERNELS = Object.keys(BOUNDS);

/**
 * Relu, Relu6 and ClipByValue of float32 tensors as one threaded SIMD pass of clip.wat (NaN
 * and signed zeros as the cpu backend gives them); other dtypes go to the given kernel (wasm's own).
 */
export function makeClampKernel(kernelName: string, fallback: KernelFunc): KernelFunc {
  return (kernelArgs) => {
    const { inputs, backend, attrs } = kernelArgs as unknown as KernelArgs;
    if (inputs.x.dtype !== 'float32') return fallback(kernelArgs);
    const { bounds, ieee } = BOUNDS[kernelName](attrs);
    return clipPass(backend, inputs.x, 'clamp', [inputs.x], bounds, [ieee ? 1 : 0]);
  };
}

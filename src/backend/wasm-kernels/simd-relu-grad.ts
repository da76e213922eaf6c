import { util, type KernelBackend, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import { writeNewTensor, type WasmBackend } from './heap-blocks.js';
import { PARALLEL_PASS_MIN_FLOATS, simdKernelsFor, splitRange } from './simd-kernels.js';

/** Registered for wasm under this name; relu-gradient.ts uses it there. */
export const RELU_GRAD = 'MorphnetReluGrad';

/** Element ranges a thread takes start at multiples of this (whole SIMD vectors). */
const VECTOR = 4;

/** inputs dy, x -> dx = dy * step(x), as tfjs computes it (relu-grad.wat). */
export const reluGrad: KernelFunc = (kernelArgs) => {
  const { inputs, backend } = kernelArgs as unknown as { inputs: Record<string, TensorInfo>; backend: KernelBackend };
  const { dy, x } = inputs;
  const wasm = backend as WasmBackend;
  const kernels = simdKernelsFor(wasm);
  const size = util.sizeFromShape(x.shape);
  const vectors = Math.ceil(size / VECTOR);
  const offset = (t: TensorInfo) => wasm.getMemoryOffset(t.dataId);
  const threads = size < PARALLEL_PASS_MIN_FLOATS ? 1 : kernels.threads;
  return writeNewTensor(wasm, x.shape, (result) => {
    const jobs = splitRange(vectors, threads).map(([v0, v1]) => [offset(dy), offset(x), offset(result), v0 * VECTOR, Math.min(size, v1 * VECTOR)]);
    kernels.run('relu-grad', 'relu_grad', jobs);
  });
};

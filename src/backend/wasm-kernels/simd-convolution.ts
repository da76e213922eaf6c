import type { KernelBackend, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { convGeometry, convolutionWords, type ConvGeometry } from './conv-geometry.js';
import { HeapBlocks, type WasmBackend } from './heap-blocks.js';
import { withKernelScope } from './kernel-scope.js';
import { simdKernelsFor, splitRange } from './simd-kernels.js';

type Shape4 = [number, number, number, number];
type KernelArgs = { inputs: Record<string, TensorInfo>; backend: KernelBackend; attrs: NamedAttrMap };

const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * When convolution.wat takes a convolution: the result's channels fill its 8-wide tiles, and
 * the reduction is long enough for a tile's read and write per tap to pay off. With 1 input
 * channel it ran at 7.5 GFLOP/s a thread where XNNPACK runs 12.9.
 */
const RESULT_CHANNEL_TILE = 8;
const MIN_REDUCTION_CHANNELS = 8;

/** Fused activations that are a clamp, as [lo, hi]; null: none. Others stay with XNNPACK. */
const CLAMPS: Record<string, [number, number] | null> = { linear: null, relu: [0, Infinity], relu6: [0, 6] };

function simdFits(resultChannels: number, reductionChannels: number): boolean {
  return resultChannels % RESULT_CHANNEL_TILE === 0 && reductionChannels >= MIN_REDUCTION_CHANNELS;
}

/**
 * Runs one export of convolution.wat into a new tensor of `outShape`, samples split between
 * the threads. `words` is the geometry block; `floats` go at the given word indices.
 */
function runConvolution(backend: WasmBackend, exportName: string, result: TensorInfo, words: number[], floats: Record<number, number> = {}): TensorInfo {
  const kernels = simdKernelsFor(backend);
  const heap = new HeapBlocks(kernels.heap, kernels.memory);
  try {
    const geometry = heap.allocate(words.length * 4);
    heap.ints().set(words, geometry / 4);
    const floatView = heap.floats();
    for (const [index, value] of Object.entries(floats)) floatView[geometry / 4 + Number(index)] = value;
    const jobs = splitRange(result.shape[0], kernels.threads('convolution')).map(([n0, n1]) => [geometry, n0, n1]);
    kernels.run('convolution', exportName, jobs);
    return result;
  } catch (error) {
    backend.disposeData(result.dataId);
    throw error;
  } finally {
    heap.free();
  }
}

/**
 * Conv2D and FusedConv2D (bias, linear/relu/relu6) by convolution.wat, when the output
 * channels are a multiple of 8 and the input has at least 8; otherwise the given kernel
 * (XNNPACK's).
 */
export function makeConvolutionKernel(xnnpack: KernelFunc): KernelFunc {
  return (kernelArgs) => {
    const args = kernelArgs as unknown as KernelArgs;
    const { x, filter, bias, preluActivationWeights } = args.inputs;
    const activation = String(args.attrs.activation ?? 'linear');
    const [, , inChannels, outChannels] = filter.shape;
    const usable =
      args.attrs.dataFormat !== 'NCHW' &&
      activation in CLAMPS &&
      preluActivationWeights == null &&
      (bias == null || numel(bias.shape) === outChannels) &&
      simdFits(outChannels, inChannels);
    if (!usable) return xnnpack(kernelArgs);
    const backend = args.backend as WasmBackend;
    const g = convGeometry(x.shape as Shape4, filter.shape as Shape4, args.attrs, false);
    const result = backend.makeOutput([x.shape[0], g.outHeight, g.outWidth, outChannels], 'float32');
    const offset = (t: TensorInfo) => backend.getMemoryOffset(t.dataId);
    const clamp = CLAMPS[activation];
    const words = [...convolutionWords([offset(x), offset(result), offset(filter)], [x.shape[0], inChannels, outChannels], g), 0, bias ? offset(bias) : 0, clamp ? 1 : 0, 0, 0];
    return runConvolution(backend, 'conv_forward', result, words, clamp ? { 21: clamp[0], 22: clamp[1] } : {});
  };
}

/**
 * dx of a convolution by convolution.wat (the filter's channel axes swapped, so each tap is a
 * [Co, Ci] matrix), when dx's channels are a multiple of 8 and dy has at least 8; otherwise
 * undefined, for the caller's composite of XNNPACK convolutions.
 */
export function simdInputGradient(backend: KernelBackend, dy: TensorInfo, filter: TensorInfo, g: ConvGeometry, inputShape: Shape4): TensorInfo | undefined {
  const [batch, , , inChannels] = inputShape;
  const outChannels = dy.shape[3];
  if (!simdFits(inChannels, outChannels)) return undefined;
  const wasm = backend as WasmBackend;
  return withKernelScope(backend, (scope) => {
    const swapped = scope.transpose(filter, [0, 1, 3, 2]);
    const result = wasm.makeOutput(inputShape, 'float32');
    const offset = (t: TensorInfo) => wasm.getMemoryOffset(t.dataId);
    const words = [...convolutionWords([offset(result), offset(dy), offset(swapped)], [batch, inChannels, outChannels], g), 1];
    return runConvolution(wasm, 'conv_input_grad', result, words);
  });
}

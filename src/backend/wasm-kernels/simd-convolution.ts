import { util, type KernelBackend, type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs';
import { convGeometry, convolutionWords, type ConvGeometry } from './conv-geometry.js';
import { HeapBlocks, type WasmBackend } from './heap-blocks.js';
import { withKernelScope } from './kernel-scope.js';
import { simdKernelsFor, splitRange } from './simd-kernels.js';

type Shape4 = [number, number, number, number];
type KernelArgs = { inputs: Record<string, TensorInfo>; backend: KernelBackend; attrs: NamedAttrMap };

/** convolution.wat computes result channels 8 at a time. */
const RESULT_CHANNEL_TILE = 8;
/**
 * When convolution.wat takes a convolution: the reduction has at least 8 channels (with 1 it
 * ran at 7.5 GFLOP/s a thread where XNNPACK runs 12.9), and the result's channels are a
 * multiple of 8 or at least 32 (then they are padded to the next multiple of 8, at most 25%
 * more work, and the result compacted; below that XNNPACK does better).
 */
const MIN_REDUCTION_CHANNELS = 8;
const MIN_PADDED_RESULT_CHANNELS = 32;

/** Fused activations that are a clamp, as [lo, hi]; null: none. Others stay with XNNPACK. */
const CLAMPS: Record<string, [number, number] | null> = { linear: null, relu: [0, Infinity], relu6: [0, 6] };

function simdFits(resultChannels: number, reductionChannels: number): boolean {
  const fitsTiles = resultChannels % RESULT_CHANNEL_TILE === 0 || resultChannels >= MIN_PADDED_RESULT_CHANNELS;
  return fitsTiles && reductionChannels >= MIN_REDUCTION_CHANNELS;
}

const roundUp = (n: number, multiple: number) => Math.ceil(n / multiple) * multiple;

/** One convolution.wat call: the tensors' heap offsets, what the result is padded to, scratch. */
interface Call {
  backend: WasmBackend;
  heap: HeapBlocks;
  result: TensorInfo;
  /** The result's channels as computed: a multiple of 8. */
  paddedChannels: number;
  /** Where the kernel writes: the result itself, or a padded block compacted into it after. */
  target: number;
}

function startCall(backend: WasmBackend, result: TensorInfo): Call {
  const kernels = simdKernelsFor(backend);
  const heap = new HeapBlocks(kernels.heap, kernels.memory);
  const channels = result.shape[3];
  const paddedChannels = roundUp(channels, RESULT_CHANNEL_TILE);
  const target = paddedChannels === channels ? backend.getMemoryOffset(result.dataId) : heap.allocate((util.sizeFromShape(result.shape) / channels) * paddedChannels * 4);
  return { backend, heap, result, paddedChannels, target };
}

/**
 * Weights laid out [taps][K][C] (C the result's channels) as the kernel reads them: `pointer`
 * itself, or a copy with each row zero-padded to the call's padded channels.
 */
function paddedWeights(call: Call, pointer: number, rows: number): number {
  const channels = call.result.shape[3];
  if (call.paddedChannels === channels) return pointer;
  const padded = call.heap.allocate(rows * call.paddedChannels * 4);
  const floats = call.heap.floats();
  floats.fill(0, padded / 4, padded / 4 + rows * call.paddedChannels);
  for (let row = 0; row < rows; row++) floats.copyWithin(padded / 4 + row * call.paddedChannels, pointer / 4 + row * channels, pointer / 4 + (row + 1) * channels);
  return padded;
}

/**
 * Runs one export of convolution.wat on `words` (the geometry block; `floats` go at the given
 * word indices), samples split between the threads, then compacts a padded result.
 */
function finishCall(call: Call, exportName: string, words: number[], floats: Record<number, number> = {}): TensorInfo {
  const { backend, heap, result } = call;
  const kernels = simdKernelsFor(backend);
  try {
    const geometry = heap.allocate(words.length * 4);
    heap.ints().set(words, geometry / 4);
    const floatView = heap.floats();
    for (const [index, value] of Object.entries(floats)) floatView[geometry / 4 + Number(index)] = value;
    const threads = kernels.threads;
    kernels.run('convolution', exportName, splitRange(result.shape[0], threads).map(([n0, n1]) => [geometry, n0, n1]));
    const channels = result.shape[3];
    if (call.paddedChannels !== channels) {
      const rows = util.sizeFromShape(result.shape) / channels;
      const jobs = splitRange(rows, threads).map(([r0, r1]) => [call.target, backend.getMemoryOffset(result.dataId), r0, r1, call.paddedChannels * 4, channels * 4]);
      kernels.run('convolution', 'compact_rows', jobs);
    }
    return result;
  } catch (error) {
    backend.disposeData(result.dataId);
    throw error;
  } finally {
    heap.free();
  }
}

/**
 * Conv2D and FusedConv2D (bias, linear/relu/relu6) by convolution.wat when the channels suit
 * it (simdFits); otherwise the given kernel (XNNPACK's).
 */
export function makeConvolutionKernel(xnnpack: KernelFunc): KernelFunc {
  return (kernelArgs) => {
    const args = kernelArgs as unknown as KernelArgs;
    const { x, filter, bias, preluActivationWeights } = args.inputs;
    const activation = String(args.attrs.activation ?? 'linear');
    const [kh, kw, inChannels, outChannels] = filter.shape;
    const usable =
      args.attrs.dataFormat !== 'NCHW' &&
      activation in CLAMPS &&
      preluActivationWeights == null &&
      (bias == null || util.sizeFromShape(bias.shape) === outChannels) &&
      simdFits(outChannels, inChannels);
    if (!usable) return xnnpack(kernelArgs);
    const backend = args.backend as WasmBackend;
    const g = convGeometry(x.shape as Shape4, filter.shape as Shape4, args.attrs, false);
    const call = startCall(backend, backend.makeOutput([x.shape[0], g.outHeight, g.outWidth, outChannels], 'float32'));
    const offset = (t: TensorInfo) => backend.getMemoryOffset(t.dataId);
    const weights = paddedWeights(call, offset(filter), kh * kw * inChannels);
    const biasPointer = bias ? paddedWeights(call, offset(bias), 1) : 0;
    const clamp = CLAMPS[activation];
    const words = [...convolutionWords([offset(x), call.target, weights], [x.shape[0], inChannels, call.paddedChannels], g), 0, biasPointer, clamp ? 1 : 0, 0, 0];
    return finishCall(call, 'conv_forward', words, clamp ? { 21: clamp[0], 22: clamp[1] } : {});
  };
}

/**
 * dx of a convolution by convolution.wat (the filter's channel axes swapped, so each tap is a
 * [Co, Ci] matrix) when the channels suit it (simdFits); otherwise undefined, for the caller's
 * composite of XNNPACK convolutions.
 */
export function simdInputGradient(backend: KernelBackend, dy: TensorInfo, filter: TensorInfo, g: ConvGeometry, inputShape: Shape4): TensorInfo | undefined {
  const [batch, , , inChannels] = inputShape;
  const [kh, kw, , outChannels] = filter.shape;
  if (!simdFits(inChannels, outChannels)) return undefined;
  const wasm = backend as WasmBackend;
  return withKernelScope(backend, (scope) => {
    const swapped = scope.transpose(filter, [0, 1, 3, 2]);
    const call = startCall(wasm, wasm.makeOutput(inputShape, 'float32'));
    const offset = (t: TensorInfo) => wasm.getMemoryOffset(t.dataId);
    const weights = paddedWeights(call, offset(swapped), kh * kw * outChannels);
    const words = [...convolutionWords([call.target, offset(dy), weights], [batch, call.paddedChannels, outChannels], g), 1];
    return finishCall(call, 'conv_input_grad', words);
  });
}

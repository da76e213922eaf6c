import { util, type KernelBackend, type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs';
import { convGeometry, convolutionWords, type ConvGeometry } from './conv-geometry.js';
import { writeNewTensor, type HeapBlocks, type WasmBackend } from './heap-blocks.js';
import { convolutionPath, RESULT_CHANNEL_TILE } from './kernel-paths.js';
import { withKernelScope } from './kernel-scope.js';
import { simdKernelsFor, splitRange } from './simd-kernels.js';

type Shape4 = [number, number, number, number];
type KernelArgs = { inputs: Record<string, TensorInfo>; backend: KernelBackend; attrs: NamedAttrMap };

/** Fused activations that are a clamp, as [lo, hi]; null: none. Others stay with XNNPACK. */
const CLAMPS: Record<string, [number, number] | null> = { linear: null, relu: [0, Infinity], relu6: [0, 6] };

/** convolution.wat takes these widths (kernel-paths.ts decides, for the kernels and the latency tables alike). */
function simdFits(resultChannels: number, reductionChannels: number): boolean {
  return convolutionPath(resultChannels, reductionChannels).kernel !== 'xnnpack';
}

const roundUp = (n: number, multiple: number) => Math.ceil(n / multiple) * multiple;

/** One convolution.wat call's result: where the kernel writes it, scratch blocks. */
interface Call {
  scratch: HeapBlocks;
  result: TensorInfo;
  /** The result's channels as computed: a multiple of 8. */
  paddedChannels: number;
  /** Where the kernel writes: the result itself, or a padded block compacted into it after. */
  target: number;
}

/**
 * Weights laid out [taps][K][C] (C the result's channels) as the kernel reads them: `pointer`
 * itself, or a copy with each row zero-padded to the call's padded channels.
 */
function paddedWeights(call: Call, pointer: number, rows: number): number {
  const channels = call.result.shape[3];
  if (call.paddedChannels === channels) return pointer;
  const padded = call.scratch.allocate(rows * call.paddedChannels * 4);
  const floats = call.scratch.floats();
  floats.fill(0, padded / 4, padded / 4 + rows * call.paddedChannels);
  for (let row = 0; row < rows; row++) floats.copyWithin(padded / 4 + row * call.paddedChannels, pointer / 4 + row * channels, pointer / 4 + (row + 1) * channels);
  return padded;
}

/**
 * A new tensor of `shape` from one export of convolution.wat: `geometry` gives the geometry
 * block (`floats` go at the given word indices) for the call; samples are split between the
 * threads, then a padded result is compacted.
 */
function convolve(
  backend: WasmBackend,
  shape: number[],
  exportName: string,
  geometry: (call: Call) => { words: number[]; floats?: Record<number, number> },
): TensorInfo {
  return writeNewTensor(backend, shape, (result, scratch) => {
    const kernels = simdKernelsFor(backend);
    const channels = shape[3];
    const paddedChannels = roundUp(channels, RESULT_CHANNEL_TILE);
    const rows = util.sizeFromShape(shape) / channels;
    const target = paddedChannels === channels ? backend.getMemoryOffset(result.dataId) : scratch.allocate(rows * paddedChannels * 4);
    const { words, floats = {} } = geometry({ scratch, result, paddedChannels, target });
    const block = scratch.allocate(words.length * 4);
    scratch.ints().set(words, block / 4);
    const floatView = scratch.floats();
    for (const [index, value] of Object.entries(floats)) floatView[block / 4 + Number(index)] = value;
    kernels.run('convolution', exportName, splitRange(shape[0], kernels.threads).map(([n0, n1]) => [block, n0, n1]));
    if (paddedChannels !== channels) {
      const jobs = splitRange(rows, kernels.threads).map(([r0, r1]) => [target, backend.getMemoryOffset(result.dataId), r0, r1, paddedChannels * 4, channels * 4]);
      kernels.run('convolution', 'compact_rows', jobs);
    }
  });
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
    const offset = (t: TensorInfo) => backend.getMemoryOffset(t.dataId);
    const clamp = CLAMPS[activation];
    return convolve(backend, [x.shape[0], g.outHeight, g.outWidth, outChannels], 'conv_forward', (call) => {
      const weights = paddedWeights(call, offset(filter), kh * kw * inChannels);
      const biasPointer = bias ? paddedWeights(call, offset(bias), 1) : 0;
      const words = [...convolutionWords([offset(x), call.target, weights], [x.shape[0], inChannels, call.paddedChannels], g), 0, biasPointer, clamp ? 1 : 0, 0, 0];
      return clamp ? { words, floats: { 21: clamp[0], 22: clamp[1] } } : { words };
    });
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
    const offset = (t: TensorInfo) => wasm.getMemoryOffset(t.dataId);
    return convolve(wasm, inputShape, 'conv_input_grad', (call) => {
      const weights = paddedWeights(call, offset(swapped), kh * kw * outChannels);
      return { words: [...convolutionWords([call.target, offset(dy), weights], [batch, call.paddedChannels, outChannels], g), 1] };
    });
  });
}

/**
 * Which kernel path runs a layer at given channel widths on the wasm backend, and at what width
 * it computes: the single source of the width choices that the kernels make (simd-convolution.ts
 * asks `convolutionPath`) and that latency tables sample and interpolate by (`widthClass`), so
 * the two cannot drift. No tfjs here: the cost layer reads it.
 */

/** convolution.wat computes result channels 8 at a time. */
export const RESULT_CHANNEL_TILE = 8;
/**
 * The widths expand rounds to for a latency budget priced from a table measured on wasm
 * (stages/expand.ts, defaultRoundTo), and a table's calibration structure is rounded to
 * (latency/calibrate-table.ts). Unaligned widths leave the kernels' fast paths and run slower
 * than a table's interpolation says. Measured (`npm run bench -- latency`, wasm, 2 threads,
 * batch 1, two runs): random 50-150% widths rounded to 8 ran 26-31% (zoo:cnn), 16-45%
 * (zoo:resnet20) and 20-26% (MobileNetV2-0.35) faster at 0.2-6.5% fewer FLOPs, and the tables
 * predicted the rounded structures better (README, "Latency tables").
 */
export const WASM_TABLE_ROUND_TO = RESULT_CHANNEL_TILE;
/**
 * When convolution.wat takes a convolution: the reduction has at least 8 channels (with 1 it
 * ran at 7.5 GFLOP/s a thread where XNNPACK runs 12.9), and the result's channels are a
 * multiple of 8 or at least 32 (then they are padded to the next multiple of 8, at most 25%
 * more work, and the result compacted; below that XNNPACK does better).
 */
export const MIN_REDUCTION_CHANNELS = 8;
export const MIN_PADDED_RESULT_CHANNELS = 32;
/** depthwise.wat runs 4 channels at a time; other counts are padded to a multiple of 4 and the result compacted (depthwise-layout.ts: VECTOR). */
export const DEPTHWISE_CHANNEL_VECTOR = 4;

const roundUp = (n: number, multiple: number) => Math.ceil(n / multiple) * multiple;

/**
 * The path a convolution takes: convolution.wat on whole tiles, on padded tiles, or XNNPACK (given
 * 'same' padding as explicit amounts, as its own goes wrong for some shapes: explicit-same-padding.ts).
 */
export type ConvolutionKernel = 'simd' | 'simd-padded' | 'xnnpack';

export interface ConvolutionPath {
  kernel: ConvolutionKernel;
  /** The result's channels as computed: padded to a multiple of 8 on `simd-padded`. */
  computedChannels: number;
}

/** The path of a convolution with these result and reduction channels (the widths alone decide it; NCHW, other activations, PReLU go to XNNPACK whatever the widths). */
export function convolutionPath(resultChannels: number, reductionChannels: number): ConvolutionPath {
  if (reductionChannels < MIN_REDUCTION_CHANNELS) return { kernel: 'xnnpack', computedChannels: resultChannels };
  if (resultChannels % RESULT_CHANNEL_TILE === 0) return { kernel: 'simd', computedChannels: resultChannels };
  if (resultChannels >= MIN_PADDED_RESULT_CHANNELS) return { kernel: 'simd-padded', computedChannels: roundUp(resultChannels, RESULT_CHANNEL_TILE) };
  return { kernel: 'xnnpack', computedChannels: resultChannels };
}

/**
 * How one channel axis of a layer decides the path: a convolution's result channels (output),
 * its reduction channels (input), a depthwise layer's channels (input; the output follows).
 */
export type WidthRule = 'conv-result' | 'conv-reduction' | 'depthwise-channels';

/** A width's class on one axis: widths of one class run one path, at `computedWidth`. */
export interface WidthClass {
  name: string;
  computedWidth: number;
}

/**
 * The class of a width along an axis with this rule (no rule: one class, the width itself), the
 * other axis at `otherWidth`: a convolution's result channels with a reduction below 8, or its
 * reduction with an unaligned result below 32, are all XNNPACK. Without `otherWidth` the other
 * axis is taken to suit convolution.wat.
 */
export function widthClass(rule: WidthRule | undefined, width: number, otherWidth?: number): WidthClass {
  switch (rule) {
    case 'conv-result': {
      const path = convolutionPath(width, otherWidth ?? MIN_REDUCTION_CHANNELS);
      return { name: path.kernel, computedWidth: path.computedChannels };
    }
    case 'conv-reduction': {
      const path = convolutionPath(otherWidth ?? RESULT_CHANNEL_TILE, width);
      return { name: path.kernel === 'xnnpack' ? 'xnnpack' : 'simd', computedWidth: width };
    }
    case 'depthwise-channels':
      return width % DEPTHWISE_CHANNEL_VECTOR === 0 ? { name: 'simd', computedWidth: width } : { name: 'simd-padded', computedWidth: roundUp(width, DEPTHWISE_CHANNEL_VECTOR) };
    default:
      return { name: 'any', computedWidth: width };
  }
}

/** A layer's width rules per axis on a backend: wasm's Conv2D and DepthwiseConv2D; none elsewhere (one class per axis). */
export function widthRulesFor(backend: string, className: string): { input?: WidthRule; output?: WidthRule } {
  if (backend !== 'wasm') return {};
  if (className === 'Conv2D') return { input: 'conv-reduction', output: 'conv-result' };
  if (className === 'DepthwiseConv2D') return { input: 'depthwise-channels' };
  return {};
}

import type { GraphNode } from '../types.js';

/** What a handler sees while tying channels: element ids of every input channel and of its outputs. */
export interface LinkContext {
  node: GraphNode;
  inputs: Int32Array[];
  output: Int32Array;
  union(a: number, b: number): void;
}

/** A layer whose channel mapping is not 1:1 answers with a barrier and its reason. */
export type LinkResult = void | { barrier: string };

/** Which channels a resource term counts: the first input's or the output's, each `repeat` times. */
export interface SlotRef {
  side: 'input' | 'output';
  repeat: number;
}

/**
 * One part of a layer's cost. bilinear: coefficient * A_in * A_out (a convolution or matmul);
 * linear: coefficient * A_out where input and output channels are tied (a depthwise convolution);
 * perOutput: coefficient * A_out for what each output channel carries alone (a bias, BN's scale
 * and offset).
 */
export interface ResourceTerm {
  coefficient: number;
  kind: 'bilinear' | 'linear' | 'perOutput';
  in: SlotRef;
  out: SlotRef;
}

export interface ParamCount {
  trainable: number;
  nonTrainable: number;
}

/** Which axes of one weight follow channels: the first input's, the output's, or both. */
export interface WeightAxes {
  /** The axis indexed by the first input's channels. */
  in?: number;
  /** Each input channel c is `inRepeat` consecutive entries c*m .. c*m+m-1 on the `in` axis (a separable pointwise kernel after a depthwise multiplier m). */
  inRepeat?: number;
  /** The axis indexed by the layer's output channels. */
  out?: number;
}

/** The regularizers that score channels by a weight's magnitude. */
export type ScoreKind = 'gamma' | 'group-lasso';

/**
 * What a merge layer does when a width-0 branch is removed: `drops-inputs` still means the
 * same with one input fewer (Add, Average, Maximum, Minimum, Concatenate); `needs-all-inputs`
 * would compute something else (Multiply, Subtract).
 */
export type MergeKind = 'drops-inputs' | 'needs-all-inputs';

interface LayerHandlerParts {
  /** Ties output channels to input channels; a layer that owns its outputs ties nothing. */
  link(ctx: LinkContext): LinkResult;
  /** Multiply-accumulates at batch 1, as terms over alive channel counts. */
  macTerms?(node: GraphNode): ResourceTerm[];
  /**
   * Every trainable weight element (kernels, biases, BN scale and offset), as terms: the layer's
   * trainable parameters as Keras counts them, and its share of the `size` resource.
   */
  weightTerms?(node: GraphNode): ResourceTerm[];
  /** Non-trainable weight elements (BN moving statistics), as terms. */
  nonTrainableTerms?(node: GraphNode): ResourceTerm[];
  /**
   * Every weight of the layer by its short name (`kernel`, `bias`, `gamma`, ...: the last part
   * of its tfjs name), with the axes that follow channels: what surgery slices and what a score
   * reduces over. A layer without weights leaves it out.
   */
  weightAxes?(node: GraphNode): Record<string, WeightAxes>;
  /**
   * The weight (a name of `weightAxes`, with an `out` axis) whose per-channel magnitude scores
   * this layer's output channels under `kind`: BatchNormalization's `gamma` for gamma, the
   * kernel of a layer that creates its channels for group-lasso. Undefined: not a source.
   */
  scoreSource?(node: GraphNode, kind: ScoreKind): string | undefined;
  /** Present on merge layers (several inputs, one output): whether a removed input may be dropped. */
  merge?: MergeKind;
  /**
   * For a layer whose output lays channels out other than its groups do (Flatten: position-major):
   * for each rebuilt output element, the seed element it comes from (-1 for a new channel),
   * given that map of its input. Undefined: the layout its groups give.
   */
  outputChannelMap?(node: GraphNode, inputMap: Int32Array): Int32Array | undefined;
  /** A key of the saved (Keras JSON) config holding a shape whose last dim is the output channel count (Reshape's `target_shape`). */
  channelShapeKey?: string;
}

/** A layer that creates its output channels (conv, dense) has a width, stored under `widthKey` in its config. */
type ChannelOwnership =
  | {
      /** Whether the layer creates its output channels: it has a width in structure files. */
      ownsChannels: true;
      /** The key of its config that holds that width (`filters`, `units`). */
      widthKey: string;
    }
  | { ownsChannels?: false; widthKey?: undefined };

/** Everything morphnet knows about one Keras layer class: grouping, cost, scores and surgery. */
export type LayerHandler = LayerHandlerParts & ChannelOwnership;

/** The short name of a weight, as `weightAxes` keys it: the last part of its tfjs name (`conv2d_1/kernel` -> `kernel`). */
export function weightShortName(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}

/** coefficient * A_out: a weight each output channel carries alone. */
export const perOutput = (coefficient: number): ResourceTerm => ({ coefficient, kind: 'perOutput', in: OUTPUT_SLOTS, out: OUTPUT_SLOTS });

export const INPUT_SLOTS: SlotRef = { side: 'input', repeat: 1 };
export const OUTPUT_SLOTS: SlotRef = { side: 'output', repeat: 1 };

/** Ties output channel i to channel i of every input that has the same number of channels. */
export function tieChannelwise(ctx: LinkContext): void {
  for (const input of ctx.inputs) {
    if (input.length !== ctx.output.length) continue; // a broadcast input (1 channel) ties nothing
    for (let i = 0; i < input.length; i++) ctx.union(ctx.output[i], input[i]);
  }
}

export function pair(value: unknown): [number, number] {
  return Array.isArray(value) ? [Number(value[0]), Number(value[value.length > 1 ? 1 : 0])] : [Number(value), Number(value)];
}

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

/** Grouping, cost and (later) surgery of one Keras layer class. */
export interface LayerHandler {
  /** Ties output channels to input channels; a layer that owns its outputs ties nothing. */
  link(ctx: LinkContext): LinkResult;
  /** Whether the layer creates its output channels (conv, dense): it has a width in structure files. */
  ownsChannels?: boolean;
  /** Multiply-accumulates at batch 1, as terms over alive channel counts. */
  macTerms?(node: GraphNode): ResourceTerm[];
  /**
   * Every trainable weight element (kernels, biases, BN scale and offset), as terms: the layer's
   * trainable parameters as Keras counts them, and its share of the `size` resource.
   */
  weightTerms?(node: GraphNode): ResourceTerm[];
  /** Non-trainable weight elements (BN moving statistics), as terms. */
  nonTrainableTerms?(node: GraphNode): ResourceTerm[];
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

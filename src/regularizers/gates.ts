import * as tf from '@tensorflow/tfjs';

/**
 * Probabilistic channel gates (FiGS, Shah et al. 2020, "Fine-Grained Stochastic Architecture
 * Search"; the MorphNet reference's `LogisticSigmoidGating`). Each channel has a learnable logit
 * l, its probability of being open is p = sigmoid(l), and in training it is multiplied by a
 * sample of the relaxed Bernoulli g = sigmoid((l + n) / temperature), n = log(u) - log(1 - u)
 * logistic noise, u uniform in (0, 1). At evaluation the gate is deterministic: 1 when p > 0.5
 * (l > 0), else 0. p is the channel's score in MorphNet's resource-weighted penalty.
 *
 * As in the reference (`keep_first_channel_alive`), the first channel of every gate is always
 * open, in training and evaluation, and scores 1: no group dies whole, so a chain of layers
 * never loses its path to the output (gates at one logit move together under the penalty
 * until the task loss tells them apart, and a short shrink would close a layer at once).
 */

/** The reference's default temperature: the sample is all but binary, its gradient an unbiased estimate of d E[g] / dl. */
export const GATE_TEMPERATURE = 0.001;
/** The reference's initial logit: p = sigmoid(2.5) = 0.924, every channel open at first. */
export const GATE_INITIAL_LOGIT = 2.5;
/**
 * A channel is alive when its gate's probability exceeds this: exactly when its deterministic
 * gate is open (l > 0), so the shrunk network evaluated with its gates is the structure exported.
 */
export const GATE_ALIVE_PROBABILITY = 0.5;
/** Uniform samples are kept this far from 0 and 1 so that the logistic noise stays finite. */
const UNIFORM_MARGIN = 1e-7;

/** Logistic noise log(u) - log(1 - u) of uniform samples u (clamped into the open interval). */
export function logisticNoise(uniform: ArrayLike<number>): Float32Array {
  return Float32Array.from(uniform, (u) => {
    const v = Math.min(Math.max(u, UNIFORM_MARGIN), 1 - UNIFORM_MARGIN);
    return Math.log(v) - Math.log(1 - v);
  });
}

/** [1, 0, ..., 0]: raised into a gate, it keeps the first channel open. */
function firstChannel(width: number): tf.Tensor1D {
  return tf.oneHot(tf.tensor1d([0], 'int32'), width).reshape([width]).toFloat() as tf.Tensor1D;
}

/** With the first channel held at 1 (constant there: no gradient reaches its logit). */
function keepFirstOpen(gate: tf.Tensor1D): tf.Tensor1D {
  return tf.maximum(gate, firstChannel(gate.shape[0])) as tf.Tensor1D;
}

/** The relaxed Bernoulli sample sigmoid((logits + noise) / temperature), differentiable in the logits; the first channel 1. */
export function relaxedGate(logits: tf.Tensor1D, noise: tf.Tensor1D, temperature: number): tf.Tensor1D {
  return keepFirstOpen(tf.sigmoid(tf.div(tf.add(logits, noise), temperature)) as tf.Tensor1D);
}

/** The gate at evaluation: 1 where the logit is positive (probability above 0.5) and for the first channel, else 0. */
export function deterministicGate(logits: tf.Tensor1D): tf.Tensor1D {
  return keepFirstOpen(tf.cast(tf.greater(logits, 0), 'float32') as tf.Tensor1D);
}

/** Each channel's probability of being open, sigmoid(logit), 1 for the first: its score for the regularizer. */
export function openProbability(logits: tf.Tensor1D): tf.Tensor1D {
  return keepFirstOpen(tf.sigmoid(logits));
}

export interface ChannelGateArgs {
  name: string;
  temperature?: number;
  initialLogit?: number;
}

/**
 * A layer that multiplies each channel (the last axis) of its input by its gate: sampled in
 * training, deterministic in inference. One instance may be applied at several places (the
 * producers of one channel group): they share its logits and, within a step, its noise.
 * Only the shrink stage's model holds gates; nothing is saved with them.
 */
export class ChannelGate extends tf.layers.Layer {
  static className = 'MorphnetChannelGate';
  readonly temperature: number;
  readonly initialLogit: number;
  private logitsVariable?: tf.LayerVariable;
  private noise?: tf.Tensor1D;

  constructor(args: ChannelGateArgs) {
    super({ name: args.name });
    this.temperature = args.temperature ?? GATE_TEMPERATURE;
    this.initialLogit = args.initialLogit ?? GATE_INITIAL_LOGIT;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const channels = Number(shape[shape.length - 1]);
    this.logitsVariable = this.addWeight('logits', [channels], 'float32', tf.initializers.constant({ value: this.initialLogit }));
    this.built = true;
  }

  /** The learnable logits (built on the layer's first application). */
  get logits(): tf.LayerVariable {
    if (!this.logitsVariable) throw new Error(`gate ${this.name} is used before it was applied to a tensor`);
    return this.logitsVariable;
  }

  /**
   * Sets the logistic noise of the steps to come (one value per channel), replacing the previous.
   * Without noise a training call uses n = 0, the median sample.
   */
  setNoise(noise: Float32Array): void {
    this.noise?.dispose();
    this.noise = tf.tensor1d(noise);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const logits = this.logits.read() as tf.Tensor1D;
      const gate = kwargs?.training ? relaxedGate(logits, this.noise ?? tf.zerosLike(logits), this.temperature) : deterministicGate(logits);
      return tf.mul(x, gate);
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), temperature: this.temperature, initialLogit: this.initialLogit };
  }

  override dispose(): ReturnType<tf.layers.Layer['dispose']> {
    this.noise?.dispose();
    this.noise = undefined;
    return super.dispose();
  }
}

tf.serialization.registerClass(ChannelGate);

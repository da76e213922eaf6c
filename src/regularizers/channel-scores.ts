import * as tf from '@tensorflow/tfjs';
import type { SourceKind, ScoreSource, GroupSources } from './sources.js';

/** The weight with `axis` moved last and every other axis folded into the first: [elements per channel, channels]. */
function channelsLast(weight: tf.Tensor, axis: number): tf.Tensor2D {
  const rank = weight.rank;
  const moved = axis === rank - 1 ? weight : tf.transpose(weight, [...Array.from({ length: rank }, (_, i) => i).filter((i) => i !== axis), axis]);
  return tf.reshape(moved, [-1, weight.shape[axis]]);
}

/**
 * Per-output-channel score of one source weight, in the weight's own units. gamma: |gamma|.
 * group-lasso (MorphNet's GroupLassoRegularizer): (1 - l1Fraction) * sqrt(mean(w_j^2)) +
 * l1Fraction * mean(|w_j|) over every dim of the weight but `axis`, the one that follows the
 * output channels (the last for Conv2D and Dense kernels, 2 for a Conv2DTranspose's
 * [kh, kw, out, in]: the source's handler says which).
 */
export function rawChannelScores(weight: tf.Tensor, kind: SourceKind, l1Fraction: number, axis = weight.rank - 1): tf.Tensor1D {
  if (kind === 'gamma') return tf.abs(weight) as tf.Tensor1D;
  const perChannel = channelsLast(weight, axis);
  // The epsilon keeps the gradient of sqrt finite at an all-zero channel.
  const l2 = tf.sqrt(tf.add(tf.mean(tf.square(perChannel), 0), 1e-12));
  if (l1Fraction === 0) return l2 as tf.Tensor1D;
  const l1 = tf.mean(tf.abs(perChannel), 0);
  return tf.add(tf.mul(l2, 1 - l1Fraction), tf.mul(l1, l1Fraction)) as tf.Tensor1D;
}

/**
 * The unit a source's scores are measured in, read from its weights when called (the seed's,
 * before training). gamma: 1, as in MorphNet (a BN scale starts at 1). group-lasso: the mean raw
 * score of the source's channels, so that its scores start near 1 like gammas do.
 *
 * Why: a kernel's raw score is a weight magnitude set by its fan-in (Glorot: sqrt(2 / (fanIn +
 * fanOut)); the Keras MLP's first Dense, 784 -> 128 and trained, has mean sqrt(mean(w_j^2)) =
 * 0.107). In those units the penalty sum_c weight[c] * score[c] is not the soft channel count
 * MorphNet's cost formula expects (it is 0.107 of it, another fraction in every layer), and an
 * absolute threshold of 0.01 means 9% of one layer's typical channel and 6% of the next one's.
 * In seed units every layer's penalty starts at its cost weight times its channel count, lambda
 * has the meaning it has with gamma (`auto` = 1 / cost makes lambda * R about 1 to 2 at the
 * start), and threshold 0.01 reads "1% of the seed's typical channel" in every layer.
 */
export function referenceScale(source: ScoreSource, kind: SourceKind, l1Fraction: number): number {
  if (kind === 'gamma') return 1;
  const mean = tf.tidy(() => tf.mean(rawChannelScores(source.variable.read(), kind, l1Fraction, source.axis)));
  const value = mean.dataSync()[0];
  mean.dispose();
  // An all-zero kernel has no scale to measure against: keep its raw units.
  return value > 0 && Number.isFinite(value) ? value : 1;
}

/** Per-output-channel score of one source, divided by its reference scale (see `referenceScale`). */
export function channelScores(source: ScoreSource, kind: SourceKind, l1Fraction: number, scale = 1): tf.Tensor1D {
  const raw = rawChannelScores(source.variable.read(), kind, l1Fraction, source.axis);
  return scale === 1 ? raw : (tf.div(raw, scale) as tf.Tensor1D);
}

function isRange(indices: number[]): boolean {
  return indices.every((index, i) => index === indices[0] + i);
}

/**
 * The entries of `scores` at `indices`, differentiably: a slice for a contiguous run, else a
 * product with a constant selection matrix (the wasm backend has no gradient for gather).
 */
function select(scores: tf.Tensor1D, indices: number[]): tf.Tensor1D {
  if (isRange(indices)) return indices[0] === 0 && indices.length === scores.shape[0] ? scores : tf.slice(scores, indices[0], indices.length);
  const selection = tf.oneHot(tf.tensor1d(indices, 'int32'), scores.shape[0]).toFloat();
  return tf.reshape(tf.matMul(selection, tf.reshape(scores, [-1, 1])), [-1]) as tf.Tensor1D;
}

/**
 * A group's channel scores: the elementwise max over its sources (and depthwise copies), each
 * source in its own units (`scales[k]` for `entry.sources[k]`, 1 when not given).
 */
export function groupScores(entry: GroupSources, kind: SourceKind, l1Fraction: number, scales?: readonly number[]): tf.Tensor1D {
  let result: tf.Tensor1D | undefined;
  entry.sources.forEach((source, k) => {
    const scores = channelScores(source, kind, l1Fraction, scales?.[k] ?? 1);
    const copies = source.channels[0].length;
    for (let copy = 0; copy < copies; copy++) {
      const selected = select(scores, source.channels.map((c) => c[copy]));
      result = result ? (tf.maximum(result, selected) as tf.Tensor1D) : selected;
    }
  });
  return result!;
}

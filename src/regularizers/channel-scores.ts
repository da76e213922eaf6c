import * as tf from '@tensorflow/tfjs';
import type { SourceKind, ScoreSource, GroupSources } from './sources.js';

/**
 * Per-output-channel score of one source weight. gamma: |gamma|. group-lasso:
 * (1 - l1Fraction) * sqrt(mean(w_j^2)) + l1Fraction * mean(|w_j|) over the kernel dims of channel j.
 */
export function channelScores(source: ScoreSource, kind: SourceKind, l1Fraction: number): tf.Tensor1D {
  const weight = source.variable.read();
  if (kind === 'gamma') return tf.abs(weight) as tf.Tensor1D;
  const channels = weight.shape[weight.shape.length - 1]!;
  const perChannel = tf.reshape(weight, [-1, channels]);
  // The epsilon keeps the gradient of sqrt finite at an all-zero channel.
  const l2 = tf.sqrt(tf.add(tf.mean(tf.square(perChannel), 0), 1e-12));
  if (l1Fraction === 0) return l2 as tf.Tensor1D;
  const l1 = tf.mean(tf.abs(perChannel), 0);
  return tf.add(tf.mul(l2, 1 - l1Fraction), tf.mul(l1, l1Fraction)) as tf.Tensor1D;
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

/** A group's channel scores: the elementwise max over its sources (and depthwise copies). */
export function groupScores(entry: GroupSources, kind: SourceKind, l1Fraction: number): tf.Tensor1D {
  let result: tf.Tensor1D | undefined;
  for (const source of entry.sources) {
    const scores = channelScores(source, kind, l1Fraction);
    const copies = source.channels[0].length;
    for (let copy = 0; copy < copies; copy++) {
      const selected = select(scores, source.channels.map((c) => c[copy]));
      result = result ? (tf.maximum(result, selected) as tf.Tensor1D) : selected;
    }
  }
  return result!;
}

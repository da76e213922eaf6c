import * as tf from '@tensorflow/tfjs';
import { sampleSize, type Samples } from '../data/dataset.js';

/**
 * The batch of samples at positions [start, start + batchSize) of `order` (or of the samples'
 * own order when none is given), as tensors.
 */
export function makeBatch(samples: Samples, start: number, batchSize: number, order?: ArrayLike<number>): { x: tf.Tensor; labels: tf.Tensor1D } {
  const end = Math.min(start + batchSize, order?.length ?? samples.count);
  const size = sampleSize(samples.shape);
  const x = new Float32Array((end - start) * size);
  const labels = new Int32Array(end - start);
  for (let i = start; i < end; i++) {
    const from = order ? order[i] : i;
    x.set(samples.x.subarray(from * size, (from + 1) * size), (i - start) * size);
    labels[i - start] = samples.labels[from];
  }
  return { x: tf.tensor(x, [end - start, ...samples.shape]), labels: tf.tensor1d(labels, 'int32') };
}

/** Consecutive batches in the samples' own order (for evaluation). */
export function* sequentialBatches(samples: Samples, batchSize: number): Generator<{ x: tf.Tensor; labels: tf.Tensor1D }> {
  for (let start = 0; start < samples.count; start += batchSize) yield makeBatch(samples, start, batchSize);
}

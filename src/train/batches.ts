import * as tf from '@tensorflow/tfjs';
import { augmentBatch, augmentRandom } from '../data/augment.js';
import { readSamples, readSamplesAhead, type Dataset, type Samples } from '../data/dataset.js';
import { batchesPerEpoch, epochOrder } from '../data/split.js';

export interface Batch {
  x: tf.Tensor;
  labels: tf.Tensor1D;
}

/** The sample indices at positions [start, start + batchSize) of `order`, or the samples' own indices when none is given. */
function batchIndices(count: number, start: number, batchSize: number, order?: ArrayLike<number>): Int32Array {
  const end = Math.min(start + batchSize, order?.length ?? count);
  return Int32Array.from({ length: Math.max(0, end - start) }, (_, i) => (order ? order[start + i] : start + i));
}

function toTensors(samples: Samples, indices: Int32Array, values: Float32Array): Batch {
  return { x: tf.tensor(values, [indices.length, ...samples.shape]), labels: tf.tensor1d(Int32Array.from(indices, (i) => samples.labels[i]), 'int32') };
}

/**
 * The batch of samples at positions [start, start + batchSize) of `order` (or of the samples'
 * own order when none is given), as tensors, read on this thread.
 */
export function makeBatch(samples: Samples, start: number, batchSize: number, order?: ArrayLike<number>): Batch {
  const indices = batchIndices(samples.count, start, batchSize, order);
  return toTensors(samples, indices, readSamples(samples, indices));
}

/** Consecutive batches in the samples' own order (for evaluation). */
export function* sequentialBatches(samples: Samples, batchSize: number): Generator<Batch> {
  for (let start = 0; start < samples.count; start += batchSize) yield makeBatch(samples, start, batchSize);
}

/** Batches read ahead of the one training: enough to hide a batch's decoding behind a step. */
const PREFETCH_DEPTH = 2;

/**
 * The training batches of one epoch, by index: batch b holds positions [b * batchSize, (b + 1) *
 * batchSize) of the epoch's seeded permutation, augmented (data.augment) with a generator of
 * (seed, epoch, b). A run resumed at any batch therefore reads exactly the batches an
 * uninterrupted one does. While batch b trains, the next PREFETCH_DEPTH batches are read off the
 * main thread where the samples allow (image folders decode in worker threads).
 */
export class EpochBatches {
  private readonly order: Int32Array;
  private readonly ahead = new Map<number, Promise<Float32Array>>();
  readonly count: number;

  constructor(
    private readonly dataset: Dataset,
    private readonly seed: number,
    private readonly epoch: number,
    private readonly batchSize: number,
  ) {
    this.order = epochOrder(dataset.train.count, seed, epoch);
    this.count = batchesPerEpoch(dataset.train.count, batchSize);
  }

  /** The sample indices of batch b. */
  indices(b: number): Int32Array {
    return batchIndices(this.dataset.train.count, b * this.batchSize, this.batchSize, this.order);
  }

  /** Batch b as tensors (the caller disposes them); starts reading the batches after it. */
  async take(b: number): Promise<Batch> {
    for (let next = b; next <= b + PREFETCH_DEPTH && next < this.count; next++) this.readAhead(next);
    const values = await this.ahead.get(b)!;
    this.ahead.delete(b);
    const { augment, train } = this.dataset;
    if (augment) augmentBatch(values, train.shape, augment, augmentRandom(this.seed, this.epoch, b));
    return toTensors(train, this.indices(b), values);
  }

  private readAhead(b: number) {
    if (this.ahead.has(b)) return;
    const pending = readSamplesAhead(this.dataset.train, this.indices(b));
    // Handled here too: a batch read ahead and never taken (the loop stopped) must not be an unhandled rejection.
    pending.catch(() => undefined);
    this.ahead.set(b, pending);
  }
}

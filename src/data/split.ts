import { selectSamples, type Samples } from './dataset.js';
import { permutation } from './random.js';

/** Splits off `fraction` of the samples (shuffled with `seed`) as validation. */
export function splitValidation(samples: Samples, fraction: number, seed: number): { train: Samples; validation: Samples } {
  const order = permutation(samples.count, seed);
  const numValidation = Math.round(samples.count * fraction);
  return {
    validation: selectSamples(samples, order.subarray(0, numValidation)),
    train: selectSamples(samples, order.subarray(numValidation)),
  };
}

/**
 * The sample order of one epoch: a permutation determined by the seed and the epoch number, so a
 * resumed run sees exactly the batches an uninterrupted one would.
 */
export function epochOrder(count: number, seed: number, epoch: number): Int32Array {
  return permutation(count, (seed * 1_000_003 + epoch * 7919) >>> 0);
}

/** Number of batches in one epoch; the last, partial batch is kept. */
export function batchesPerEpoch(count: number, batchSize: number): number {
  return Math.ceil(count / batchSize);
}

import * as tf from '@tensorflow/tfjs';
import type { BatchNormalizationLayer as FusedBatchNormFields } from '../backend/fused-batch-norm.js';
import type { Samples } from '../data/dataset.js';
import { permutation } from '../data/random.js';
import { makeBatch } from './batches.js';
import { outputFloatsPerSample } from './memory.js';

/** Samples whose statistics give a model's BN population statistics when nothing else is said. */
export const DEFAULT_BATCH_NORM_SAMPLES = 4096;
/** Floats of one layer output the estimation batch may hold (256 MiB), so 224x224 models fit the wasm heap. */
const ESTIMATION_BATCH_FLOATS = 64 * 1024 ** 2;
const MAX_ESTIMATION_BATCH = 256;

/** A BN layer whose call the estimation replaces for its duration. */
type BatchNormalizationLayer = FusedBatchNormFields & { call: (inputs: tf.Tensor | tf.Tensor[], kwargs: unknown) => tf.Tensor };

/**
 * Per-channel mean and variance of everything seen, merged batch by batch in float64 (Chan et
 * al.'s parallel update): for a batch of n_b values per channel with mean m_b and biased
 * variance v_b, delta = m_b - mean, mean += delta * n_b / N', m2 += n_b * v_b + delta^2 * N * n_b / N'.
 */
export class ChannelMoments {
  count = 0;
  readonly mean: Float64Array;
  private readonly m2: Float64Array;

  constructor(channels: number) {
    this.mean = new Float64Array(channels);
    this.m2 = new Float64Array(channels);
  }

  add(batchMean: ArrayLike<number>, batchVariance: ArrayLike<number>, batchCount: number): void {
    const total = this.count + batchCount;
    for (let c = 0; c < this.mean.length; c++) {
      const delta = batchMean[c] - this.mean[c];
      this.mean[c] += (delta * batchCount) / total;
      this.m2[c] += batchVariance[c] * batchCount + (delta * delta * this.count * batchCount) / total;
    }
    this.count = total;
  }

  /** The population variance of all values added. */
  variance(): Float64Array {
    return this.m2.map((m2) => m2 / this.count);
  }
}

function batchNormLayers(layers: tf.layers.Layer[]): BatchNormalizationLayer[] {
  return layers.flatMap((layer) => {
    const nested = (layer as unknown as { layers?: tf.layers.Layer[] }).layers;
    if (nested) return batchNormLayers(nested);
    return layer.getClassName() === 'BatchNormalization' ? [layer as unknown as BatchNormalizationLayer] : [];
  });
}

/**
 * The layer normalizes with the statistics of the batch it sees (as in training) and adds them
 * to `moments`; everything else about the model stays in inference mode (no dropout).
 */
function normalizeWithBatchStatistics(layer: BatchNormalizationLayer, moments: () => ChannelMoments | undefined, setMoments: (m: ChannelMoments) => void) {
  return (inputs: tf.Tensor | tf.Tensor[]): tf.Tensor =>
    tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const axis = layer.axis < 0 ? x.rank + layer.axis : layer.axis;
      const channels = x.shape[axis];
      const reductionAxes = x.shape.map((_, i) => i).filter((i) => i !== axis);
      const { mean, variance } = tf.moments(x, reductionAxes);
      const current = moments() ?? new ChannelMoments(channels);
      current.add(mean.dataSync(), variance.dataSync(), x.size / channels);
      setMoments(current);
      const broadcast = x.shape.map((size, i) => (i === axis ? size : 1));
      const asBroadcast = (t: tf.Tensor) => t.reshape(broadcast);
      return tf.batchNorm(
        x,
        asBroadcast(mean),
        asBroadcast(variance),
        layer.beta ? asBroadcast(layer.beta.read()) : undefined,
        layer.gamma ? asBroadcast(layer.gamma.read()) : undefined,
        layer.epsilon,
      );
    });
}

/** Samples per estimation pass: as many as keep the largest per-sample output under the float budget. */
function estimationBatchSize(model: tf.LayersModel): number {
  const perSample = Math.max(1, outputFloatsPerSample(model));
  return Math.max(1, Math.min(MAX_ESTIMATION_BATCH, Math.floor(ESTIMATION_BATCH_FLOATS / perSample)));
}

/**
 * Sets every BatchNormalization layer's moving mean and variance to the exact population
 * statistics of its input under the model's current weights, over `numSamples` training samples
 * (a seeded random subset; all of them when there are fewer). Each BN layer normalizes with its
 * batch's statistics while the passes run, as the network was trained, and everything else runs
 * in inference mode. The moving averages that training leaves behind lag the final weights (at
 * tfjs's and Keras's default momentum of 0.99 they average the last few hundred steps); with
 * these statistics a saved model scores in inference what the tool reports.
 * Returns the number of samples used (0 when the model has no BN layer).
 */
export function estimateBatchNormStatistics(model: tf.LayersModel, samples: Samples, options: { numSamples: number; seed: number }): number {
  const layers = batchNormLayers(model.layers);
  if (layers.length === 0 || samples.count === 0) return 0;
  const count = Math.min(options.numSamples, samples.count);
  const order = permutation(samples.count, options.seed).subarray(0, count);
  const collected = new Map<BatchNormalizationLayer, ChannelMoments>();
  for (const layer of layers) {
    layer.call = normalizeWithBatchStatistics(layer, () => collected.get(layer), (m) => collected.set(layer, m));
  }
  try {
    const batchSize = estimationBatchSize(model);
    for (let start = 0; start < count; start += batchSize) {
      const { x, labels } = makeBatch(samples, start, batchSize, order);
      tf.tidy(() => {
        model.predict(x, { batchSize });
      });
      tf.dispose([x, labels]);
    }
  } finally {
    for (const layer of layers) delete (layer as Partial<BatchNormalizationLayer>).call;
  }
  for (const [layer, moments] of collected) {
    tf.tidy(() => {
      layer.movingMean.write(tf.tensor(Float32Array.from(moments.mean), layer.movingMean.read().shape));
      layer.movingVariance.write(tf.tensor(Float32Array.from(moments.variance()), layer.movingVariance.read().shape));
    });
  }
  return count;
}

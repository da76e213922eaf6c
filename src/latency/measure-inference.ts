import type * as tf from '@tensorflow/tfjs';
import { INFERENCE_LATENCY_FORMAT, type InferenceLatencyFile, type LatencyPrediction, type PredictedMeasurement, type TimedModel } from './inference-latency-file.js';
import { sampleModel, sampleModelPaired } from './model-runs.js';
import { type PairedProtocol, quartilesOf, type TimingProtocol } from './timing.js';

/** Short, for the end of a training stage: 3 untimed runs (for at least 25 ms), then 7 samples, each at least 1 ms of back-to-back runs. */
export const INFERENCE_PROTOCOL: TimingProtocol = { warmup: 3, warmupMs: 25, repeats: 7, minSampleMs: 1 };

/**
 * A trained model against the seed: both run in turn until steady (2 chunks of 50 ms without a
 * new best, at most 0.5 s: shorter than PAIR_WARMUP, since every retrain pays it four times, and
 * a sweep's retrains each again; at 2 s the test suite's sweeps took 20 s longer), then the same
 * warm-up for both and 9 pairs of samples (`samplePaired`), each at least 5 ms of back-to-back
 * runs: a model of under a millisecond, sampled over 1 ms, gave shares of 106% and 119% of the
 * seed in two runs of the README's job.
 */
export const PAIRED_INFERENCE_PROTOCOL: PairedProtocol = { warmup: 3, warmupMs: 25, pairs: 9, minSampleMs: 5, steady: { minMs: 0, maxMs: 500, chunkMs: 50, settledChunks: 2 } };

/** Where and how a model's inference is timed. */
export interface InferenceSetting {
  backend: string;
  threads?: number;
  /** data.batchSize: timed besides batch 1. */
  trainingBatch: number;
  protocol?: TimingProtocol;
  /** The seed: when given, the model is timed in pairs with it (`pairedProtocol`), and its share of the seed's time recorded. */
  seed?: tf.LayersModel;
  pairedProtocol?: PairedProtocol;
  /** A measured table's prediction at a batch, when one of the config's fits (`tablePredictor`). */
  predict?(batch: number): LatencyPrediction | undefined;
}

const WARMUP_AND_SAMPLES = (p: { warmup: number; warmupMs: number; minSampleMs: number }) =>
  `after at least ${p.warmup} warm-up runs and ${p.warmupMs} ms, each sample the mean of back-to-back runs spanning at least ${p.minSampleMs} ms; spread: 25th and 75th percentiles`;

const statistic = (setting: InferenceSetting) =>
  setting.seed
    ? `median of ${pairedProtocolOf(setting).pairs} samples, each paired with a sample of the seed beside it (the order alternating), ${WARMUP_AND_SAMPLES(pairedProtocolOf(setting))}; share of the seed: median and quartiles of the per-pair ratios`
    : `median of ${protocolOf(setting).repeats} samples ${WARMUP_AND_SAMPLES(protocolOf(setting))}`;

const protocolOf = (setting: InferenceSetting) => setting.protocol ?? INFERENCE_PROTOCOL;
const pairedProtocolOf = (setting: InferenceSetting) => setting.pairedProtocol ?? PAIRED_INFERENCE_PROTOCOL;

/** The model's samples and, timed in pairs with the seed, its share of the seed's time. */
function timeAt(model: tf.LayersModel, batch: number, setting: InferenceSetting): Pick<PredictedMeasurement, 'medianMs' | 'p25Ms' | 'p75Ms' | 'repeats' | 'warmup' | 'ofSeed'> {
  if (!setting.seed) {
    const protocol = protocolOf(setting);
    return { ...quartilesOf(sampleModel(model, batch, protocol)), repeats: protocol.repeats, warmup: protocol.warmup };
  }
  const protocol = pairedProtocolOf(setting);
  const paired = sampleModelPaired(model, setting.seed, batch, protocol);
  const share = quartilesOf(paired.ratios);
  return {
    ...quartilesOf(paired.samples),
    repeats: protocol.pairs,
    warmup: protocol.warmup,
    ofSeed: { median: share.medianMs, p25: share.p25Ms, p75: share.p75Ms, pairs: protocol.pairs, seedMedianMs: quartilesOf(paired.referenceSamples).medianMs },
  };
}

function measureAt(model: tf.LayersModel, batch: number, setting: InferenceSetting): PredictedMeasurement {
  const { ofSeed, ...timed } = timeAt(model, batch, setting);
  const predicted = setting.predict?.(batch);
  return {
    batch,
    backend: setting.backend,
    ...(setting.threads ? { threads: setting.threads } : {}),
    ...timed,
    measuredAt: new Date().toISOString(),
    ...(ofSeed ? { ofSeed } : {}),
    ...(predicted ? { predicted } : {}),
  };
}

/** Times a whole model's inference on the active backend at batch 1 and at the training batch; in pairs with the seed when the setting names it. */
export function measureInference(model: tf.LayersModel, timed: TimedModel, setting: InferenceSetting): InferenceLatencyFile {
  const batch1 = measureAt(model, 1, setting);
  const trainingBatch = setting.trainingBatch === 1 ? batch1 : measureAt(model, setting.trainingBatch, setting);
  return { format: INFERENCE_LATENCY_FORMAT, model: timed, statistic: statistic(setting), batch1, trainingBatch };
}

/** Whether a file was measured on this backend and threads at this training batch (then it need not be measured again). */
export function measuredWith(file: InferenceLatencyFile | undefined, setting: InferenceSetting): boolean {
  const at = file?.trainingBatch;
  return at !== undefined && at.backend === setting.backend && at.threads === setting.threads && at.batch === setting.trainingBatch;
}

import type * as tf from '@tensorflow/tfjs';
import { INFERENCE_LATENCY_FORMAT, type InferenceLatencyFile, type LatencyPrediction, type PredictedMeasurement, type TimedModel } from './inference-latency-file.js';
import { sampleModel } from './measure-model.js';
import { quartilesOf, type TimingProtocol } from './timing.js';

/** Short, for the end of a training stage: 3 untimed runs (for at least 25 ms), then 7 samples, each at least 1 ms of back-to-back runs. */
export const INFERENCE_PROTOCOL: TimingProtocol = { warmup: 3, warmupMs: 25, repeats: 7, minSampleMs: 1 };

/** Where and how a model's inference is timed. */
export interface InferenceSetting {
  backend: string;
  threads?: number;
  /** data.batchSize: timed besides batch 1. */
  trainingBatch: number;
  protocol?: TimingProtocol;
  /** A measured table's prediction at a batch, when one of the config's fits (`tablePredictor`). */
  predict?(batch: number): LatencyPrediction | undefined;
}

const statistic = (protocol: TimingProtocol) =>
  `median of ${protocol.repeats} samples after at least ${protocol.warmup} warm-up runs and ${protocol.warmupMs} ms, each sample the mean of back-to-back runs spanning at least ${protocol.minSampleMs} ms; spread: 25th and 75th percentiles`;

function measureAt(model: tf.LayersModel, batch: number, setting: InferenceSetting, protocol: TimingProtocol): PredictedMeasurement {
  const quartiles = quartilesOf(sampleModel(model, batch, protocol));
  const predicted = setting.predict?.(batch);
  return {
    batch,
    backend: setting.backend,
    ...(setting.threads ? { threads: setting.threads } : {}),
    ...quartiles,
    repeats: protocol.repeats,
    warmup: protocol.warmup,
    measuredAt: new Date().toISOString(),
    ...(predicted ? { predicted } : {}),
  };
}

/** Times a whole model's inference on the active backend at batch 1 and at the training batch. */
export function measureInference(model: tf.LayersModel, timed: TimedModel, setting: InferenceSetting): InferenceLatencyFile {
  const protocol = setting.protocol ?? INFERENCE_PROTOCOL;
  const batch1 = measureAt(model, 1, setting, protocol);
  const trainingBatch = setting.trainingBatch === 1 ? batch1 : measureAt(model, setting.trainingBatch, setting, protocol);
  return { format: INFERENCE_LATENCY_FORMAT, model: timed, statistic: statistic(protocol), batch1, trainingBatch };
}

/** Whether a file was measured on this backend and threads at this training batch (then it need not be measured again). */
export function measuredWith(file: InferenceLatencyFile | undefined, setting: InferenceSetting): boolean {
  const at = file?.trainingBatch;
  return at !== undefined && at.backend === setting.backend && at.threads === setting.threads && at.batch === setting.trainingBatch;
}

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runDirLayout } from '../run-dir/run-dir.js';

/**
 * `<model>/latency.json`: a whole model's inference timed where it was trained (the retrain
 * stage's backend and threads), at batch 1 and at the training batch. Plain data: the report
 * reads it without tfjs.
 */
export const INFERENCE_LATENCY_FORMAT = 'morphnet.inference-latency/1';

/** The models of a run dir whose inference is timed: the seed it started from and the two trained ones. */
export type TimedModel = 'seed' | 'retrain' | 'baseline';

/** A measured table's prediction of a model's whole inference, at a measurement's batch, backend and threads. */
export interface LatencyPrediction {
  /** The config's `hardware:` name of the table. */
  hardware: string;
  /** The table file. */
  table: string;
  ms: number;
  /** `ms` over the same table's prediction for the seed: the share of the seed's time it predicts. */
  ofSeed?: number;
}

/**
 * A model's time as a share of the seed's, each sample of the model paired with one of the seed
 * beside it (`samplePaired`): the median and quartiles of the per-pair ratios, and the seed's
 * median over its samples in the pairs. It holds while the machine's speed drifts.
 */
export interface ShareOfSeed {
  median: number;
  p25: number;
  p75: number;
  pairs: number;
  seedMedianMs: number;
}

/** One whole-model inference timing: a median over repeats and its quartiles. */
export interface LatencyMeasurement {
  batch: number;
  backend: string;
  /** Threads of the wasm backend's pool; absent where the backend manages its own. */
  threads?: number;
  medianMs: number;
  p25Ms: number;
  p75Ms: number;
  /** Timed samples the median is of, after `warmup` untimed runs. */
  repeats: number;
  warmup: number;
  /** ISO time of the measurement. */
  measuredAt: string;
  /** retrain and baseline: timed in pairs with the seed, `repeats` being the pairs. */
  ofSeed?: ShareOfSeed;
}

/** A measurement and, when a table of the config was measured on the same backend, threads and batch, its prediction. */
export type PredictedMeasurement = LatencyMeasurement & { predicted?: LatencyPrediction };

export interface InferenceLatencyFile {
  format: typeof INFERENCE_LATENCY_FORMAT;
  model: TimedModel;
  /** How each median was taken, in words. */
  statistic: string;
  batch1: PredictedMeasurement;
  /** At data.batchSize; the same as batch1 when that is 1. */
  trainingBatch: PredictedMeasurement;
}

/** seed/latency.json, retrain/latency.json, baseline/latency.json. */
export function inferenceLatencyPath(runDir: string, model: TimedModel): string {
  const layout = runDirLayout(runDir);
  return join(model === 'seed' ? layout.seedModel : layout.stage(model), 'latency.json');
}

/** Whether a value has the fields of a measurement the report prints (an edited or foreign file may not). */
const isMeasurement = (value: unknown): value is LatencyMeasurement => {
  const m = value as Partial<LatencyMeasurement> | null;
  return typeof m === 'object' && m !== null && typeof m.batch === 'number' && typeof m.backend === 'string' && [m.medianMs, m.p25Ms, m.p75Ms].every((x) => typeof x === 'number' && Number.isFinite(x));
};

/**
 * A model's latency.json: the file, nothing when there is none (a run dir from before the
 * measurement, a stage not trained yet), or a warning naming what is wrong with it.
 */
export function readInferenceLatency(runDir: string, model: TimedModel): { file?: InferenceLatencyFile; warning?: string } {
  const path = inferenceLatencyPath(runDir, model);
  if (!existsSync(path)) return {};
  let file: Partial<InferenceLatencyFile>;
  try {
    file = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    return { warning: `${path} is not JSON (${(error as Error).message}); its latency is left out` };
  }
  if (file?.format !== INFERENCE_LATENCY_FORMAT || !isMeasurement(file.batch1) || !isMeasurement(file.trainingBatch)) {
    return { warning: `${path} is not an inference latency file (expected format "${INFERENCE_LATENCY_FORMAT}" with batch1 and trainingBatch timings); its latency is left out` };
  }
  return { file: file as InferenceLatencyFile };
}

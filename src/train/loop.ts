import type * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../data/dataset.js';
import { batchesPerEpoch } from '../data/split.js';
import { MorphnetError } from '../errors.js';
import { activeBackend } from '../backend/select.js';
import { EpochBatches } from './batches.js';
import { planMicroBatches, type MicroBatchPlan } from './memory.js';
import type { LoopPosition } from './checkpoint.js';
import { DEFAULT_BATCH_NORM_SAMPLES, estimateBatchNormStatistics } from './batch-norm-statistics.js';
import { evaluate, type Evaluation } from './evaluate.js';
import type { OutputKind } from './loss.js';
import { trainStep, type StepLosses } from './train-step.js';

export interface LoopOptions {
  model: tf.LayersModel;
  optimizer: tf.Optimizer;
  dataset: Dataset;
  batchSize: number;
  seed: number;
  totalSteps: number;
  numClasses: number;
  outputKind: OutputKind;
  start?: LoopPosition;
  regularization?: () => tf.Scalar;
  /** Training samples whose statistics become the BN layers' population statistics before each evaluation. */
  batchNormSamples?: number;
  /** Samples per pass (gradient accumulation); by default what the wasm heap holds. */
  microBatchSize?: number;
  /** Called before each step with the step about to run (for learning-rate schedules). */
  beforeStep?(position: LoopPosition): void;
  /** Called after each step with the position of the next one. */
  afterStep?(losses: StepLosses, next: LoopPosition): Promise<void> | void;
  afterEpoch?(epoch: number, validation: Evaluation, next: LoopPosition): Promise<void> | void;
}

/**
 * Validation accuracy and loss in inference mode, after the BN layers' population statistics
 * are estimated exactly for the current weights (so the model scores as it will when saved).
 */
export function validate(options: Pick<LoopOptions, 'model' | 'dataset' | 'seed' | 'numClasses' | 'outputKind' | 'batchNormSamples'>): Evaluation {
  estimateBatchNormStatistics(options.model, options.dataset.train, { numSamples: options.batchNormSamples ?? DEFAULT_BATCH_NORM_SAMPLES, seed: options.seed });
  return evaluate(options.model, options.dataset.validation, 256, options.numClasses, options.outputKind);
}

/**
 * The micro-batch that fits the wasm backend's 4 GiB heap (see memory.ts), or undefined
 * (whole batches) on backends without that ceiling.
 */
export function microBatchFor(model: tf.LayersModel, batchSize: number): number | undefined {
  return microBatchPlanFor(model, batchSize)?.size;
}

/** The micro-batch plan when a step must be split (wasm only), for the user to see. */
export function microBatchPlanFor(model: tf.LayersModel, batchSize: number): MicroBatchPlan | undefined {
  if (activeBackend()?.name !== 'wasm') return undefined;
  const plan = planMicroBatches(model, batchSize);
  return plan.count > 1 ? plan : undefined;
}

/** How many steps `epochs` epochs take, or `steps` when given. */
export function totalSteps(trainCount: number, batchSize: number, epochs: number, steps?: number): number {
  return steps ?? epochs * batchesPerEpoch(trainCount, batchSize);
}

/**
 * The training loop shared by shrink and retrain. Each epoch's order is a permutation of the
 * seed and epoch number, so a loop resumed at any position sees the same batches as one that
 * never stopped. A non-finite loss stops the loop with an error; the caller's last checkpoint
 * stays as it was.
 */
export async function runLoop(options: LoopOptions): Promise<LoopPosition> {
  const { dataset, batchSize } = options;
  const perEpoch = batchesPerEpoch(dataset.train.count, batchSize);
  let position: LoopPosition = options.start ?? { step: 0, epoch: 0, batchInEpoch: 0 };
  const microBatchSize = options.microBatchSize ?? microBatchFor(options.model, batchSize);
  while (position.step < options.totalSteps) {
    const batches = new EpochBatches(dataset, options.seed, position.epoch, batchSize);
    for (let b = position.batchInEpoch; b < perEpoch && position.step < options.totalSteps; b++) {
      options.beforeStep?.(position);
      const { x, labels } = await batches.take(b);
      const losses = trainStep(options.model, options.optimizer, x, labels, {
        numClasses: options.numClasses,
        outputKind: options.outputKind,
        regularization: options.regularization,
        microBatchSize,
      });
      x.dispose();
      labels.dispose();
      if (!Number.isFinite(losses.loss)) {
        throw new MorphnetError(
          'runtime',
          `the loss became ${losses.loss} at step ${position.step} (task loss ${losses.taskLoss}, regularizer ${losses.regLoss})`,
          'lower the learning rate or the regularizer strength; the last good checkpoint is kept, fix the config and rerun with --force',
        );
      }
      const endOfEpoch = b + 1 === perEpoch;
      position = endOfEpoch ? { step: position.step + 1, epoch: position.epoch + 1, batchInEpoch: 0 } : { step: position.step + 1, epoch: position.epoch, batchInEpoch: b + 1 };
      await options.afterStep?.(losses, position);
      if (endOfEpoch && options.afterEpoch) await options.afterEpoch(position.epoch - 1, validate(options), position);
    }
  }
  return position;
}

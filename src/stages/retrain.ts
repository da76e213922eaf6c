import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { activeBackend, type BackendChoice } from '../backend/select.js';
import type { MorphnetConfig } from '../config/schema.js';
import { countModel } from '../cost/count-model.js';
import { resolveHardware } from '../cost/hardware.js';
import { loadDataset } from '../data/load.js';
import { runDirError } from '../errors.js';
import { inferenceLatencyPath, readInferenceLatency, type TimedModel } from '../latency/inference-latency-file.js';
import { measuredWith, measureInference, type InferenceSetting } from '../latency/measure-inference.js';
import { landingTiming, landMeasured } from '../latency/measured-landing.js';
import { tablePredictor, tablesForBackend } from '../latency/table-prediction.js';
import { loadModel, saveModel } from '../model/load.js';
import { writeTrainedMetadata } from '../model/teachable-machine.js';
import { writeJsonAtomic } from '../run-dir/atomic.js';
import { RunDir, runDirLayout, type Stage } from '../run-dir/run-dir.js';
import type { TrainedModel } from '../run-dir/trained-model.js';
import { stageCommand } from '../run-dir/stage-commands.js';
import { dataShapeFor, modelShape } from '../run-state/experiment.js';
import { RunState, type RunSeed } from '../run-state/run-state.js';
import { initFromShrink } from '../run-state/seed.js';
import { StructureCosting } from '../structure/cost-of.js';
import { structureFile, structureOfFile, type ExpandedStructure, type UniformStructure } from '../structure/structure-file.js';
import { seedStructure, widthsOf, withWidths, type Structure } from '../structure/structure.js';
import type { GroupWidths } from '../structure/width-multiplier.js';
import { uniformBudget, uniformFitAt, uniformStructure } from '../structure/uniform-baseline.js';
import { rebuildModel } from '../surgery/rebuild.js';
import { evaluate, measuredAccuracy, optionalValAccuracy, type Evaluation } from '../train/evaluate.js';
import { outputKind } from '../train/loss.js';
import { microBatchPlanFor, totalSteps, validate } from '../train/loop.js';
import type { MicroBatchPlan } from '../train/memory.js';
import { createOptimizer, setLearningRate } from '../train/optimizer.js';
import { learningRateAt } from '../train/schedule.js';
import { trainWithCheckpoints } from '../train/session.js';
import { batchesPerEpoch } from '../data/split.js';

export interface RetrainRequest {
  runDir: string;
  /** Also (or only, with `only`) train the uniform-width baseline at the same budget. */
  baseline?: 'uniform';
  init?: 'scratch' | 'pruned';
  force?: boolean;
  toolVersion: string;
}

export interface RetrainProgress {
  stage: Stage;
  step: number;
  totalSteps: number;
  epoch: number;
  loss: number;
  learningRate: number;
  /** At the end of an epoch; undefined without a validation set (data.validationSplit: 0). */
  valAccuracy?: number;
}

export interface RetrainEvents {
  backend?(choice: BackendChoice): void;
  start?(info: { stage: Stage; totalSteps: number; resumedAt: number; widths: Record<string, number>; microBatches?: MicroBatchPlan }): void;
  step?(progress: RetrainProgress): void;
  epoch?(progress: RetrainProgress): void;
  /** With --force: the previous results of `stage` (its folder and exports, the report) that were removed. */
  removed?(stage: Stage, paths: string[]): void;
  /** Before the uniform baseline's fit is timed against the seed, where expand's was (0-based; at most `maxFits`). */
  measuringBaseline?(attempt: number, maxFits: number): void;
}

export interface RetrainResult {
  runDir: string;
  retrain?: TrainedModel;
  baseline?: TrainedModel;
}

/** What a trained stage builds: its structure and the multiplier that made it. */
interface PlannedModel {
  structure: Structure;
  multiplier: number;
}

/**
 * The uniform baseline at the expand budget, written to baseline/structure.json before it
 * trains so the report can cost it without a model. Where expand timed its structure onto a
 * latency budget (`expanded.measured`), the baseline is landed alike, timed against the seed
 * with the same protocol; such a plan is not deterministic, so one already written (a retrain
 * stopped while training the baseline) is read back rather than measured again.
 */
async function planBaseline(state: RunState, seed: RunSeed, expanded: ExpandedStructure, run: RunDir, events: RetrainEvents): Promise<PlannedModel> {
  const path = run.paths.stageStructure('baseline');
  // The hardware expand priced its budget on (`expand --hardware` need not be in the config).
  const hardware = expanded.budgetHardware ? resolveHardware(expanded.budgetHardware, state.config.hardware) : state.hardware;
  const costing = new StructureCosting(seed.analysis, { hardware });
  const budget = uniformBudget(expanded);
  const timing = expanded.measured ? landingTiming(hardware, budget.resource, true, expanded.measured.protocol) : undefined;
  const earlier = timing && existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as UniformStructure) : undefined;
  if (earlier?.measured) return { structure: structureOfFile(earlier), multiplier: earlier.multiplier };
  const planned = uniformStructure(costing, expanded);
  if (!timing) {
    writeJsonAtomic(path, { ...structureFile(costing, planned.structure, { model: expanded.model, step: expanded.step }), multiplier: planned.multiplier } satisfies UniformStructure);
    return planned;
  }
  const seedMs = costing.resource('latency', widthsOf(seedStructure(seed.analysis)));
  const { fit, measured } = await landMeasured(planned.fit, uniformFitAt(costing, expanded), budget.value, seedMs, seed, timing, events.measuringBaseline);
  const structure = withWidths(planned.structure, fit.widths);
  writeJsonAtomic(path, { ...structureFile(costing, structure, { model: expanded.model, step: expanded.step }), multiplier: fit.multiplier, measured } satisfies UniformStructure);
  return { structure, multiplier: fit.multiplier };
}

async function trainStage(
  stage: Stage,
  model: tf.LayersModel,
  config: MorphnetConfig,
  runDir: string,
  events: RetrainEvents,
  extra: { multiplier?: number },
): Promise<TrainedModel> {
  const paths = runDirLayout(runDir);
  const dataset = loadDataset(config.data, config.seed, dataShapeFor(model, config));
  const retrain = config.retrain;
  const optimizer = createOptimizer(retrain.optimizer);
  const steps = totalSteps(dataset.train.count, config.data.batchSize, retrain.epochs, retrain.steps);
  const warmupSteps = Math.round(retrain.warmupEpochs * batchesPerEpoch(dataset.train.count, config.data.batchSize));
  const kind = outputKind(model);
  const { numClasses } = modelShape(model);
  const report = countModel(model);
  const widths = Object.fromEntries(report.layers.filter((l) => l.macs > 0).map((l) => [l.name, Number(l.outputShape.at(-1))]));
  let learningRate = retrain.optimizer.learningRate;
  let last: RetrainProgress | undefined;
  const { resumedAt } = await trainWithCheckpoints({
    model,
    optimizer,
    dataset,
    batchSize: config.data.batchSize,
    seed: config.seed,
    batchNormSamples: config.evaluation.batchNormSamples,
    totalSteps: steps,
    numClasses,
    outputKind: kind,
    checkpointDir: paths.checkpoint(stage),
    checkpointEvery: retrain.checkpointEvery,
    metricsPath: paths.stageMetrics(stage),
    afterRestore: (resumedAt) => events.start?.({ stage, totalSteps: steps, resumedAt, widths, microBatches: microBatchPlanFor(model, config.data.batchSize) }),
    beforeStep: (position) => {
      learningRate = learningRateAt(retrain.schedule, retrain.optimizer.learningRate, position.step, steps, warmupSteps);
      setLearningRate(optimizer, learningRate);
    },
    stepMetrics: () => ({ learningRate }),
    afterStep: (losses, next) => {
      last = { stage, step: next.step, totalSteps: steps, epoch: next.epoch, loss: losses.loss, learningRate };
      events.step?.(last);
    },
    afterEpoch: (_epoch, validation) => {
      if (last) events.epoch?.({ ...last, valAccuracy: measuredAccuracy(validation) });
    },
  });
  const validation: Evaluation = validate({ model, dataset, seed: config.seed, numClasses, outputKind: kind, batchNormSamples: config.evaluation.batchNormSamples });
  const test = dataset.test ? evaluate(model, dataset.test, 256, numClasses, kind) : undefined;
  await saveModel(model, paths.stageModel(stage));
  writeTrainedMetadata(paths.stageModel(stage), config.model.path, dataset.classNames, numClasses);
  optimizer.dispose();
  const result: TrainedModel = {
    stage,
    modelDir: paths.stageModel(stage),
    steps,
    resumedAt,
    ...optionalValAccuracy(validation),
    ...(test ? { testAccuracy: test.accuracy } : {}),
    cost: { flops: report.totals.flops, macs: report.totals.macs, params: report.totals.params, totalParams: report.totals.totalParams, activations: report.totals.activations },
    widths,
    ...extra,
  };
  writeJsonAtomic(paths.stageResult(stage), result);
  return result;
}

/** How the run's models are timed, per model's widths: on the backend they trained on, predicted by the config's tables measured there. */
function inferenceSetting(config: MorphnetConfig, seed: RunSeed): (widths: GroupWidths) => InferenceSetting {
  const backend = activeBackend();
  if (!backend) throw new Error('retrain: no tfjs backend is active after loading the seed');
  const tables = tablesForBackend(config.hardware, backend.name, backend.threads);
  return (widths) => ({ backend: backend.name, threads: backend.threads, trainingBatch: config.data.batchSize, predict: tablePredictor(tables, seed.analysis, widths) });
}

/** Times a model's inference and writes `<model>/latency.json`. */
function writeInferenceLatency(runDir: string, timed: TimedModel, model: tf.LayersModel, setting: InferenceSetting): void {
  writeJsonAtomic(inferenceLatencyPath(runDir, timed), measureInference(model, timed, setting));
}

/** Times the seed (seed/latency.json) unless it was timed on this backend, threads and training batch already. */
function timeSeed(runDir: string, seed: RunSeed, setting: InferenceSetting): void {
  if (!measuredWith(readInferenceLatency(runDir, 'seed').file, setting)) writeInferenceLatency(runDir, 'seed', seed.model, setting);
}

/**
 * The result of a stage that stopped after it trained and saved its model but before it was
 * timed: its saved model is timed on resume, not trained again.
 */
async function trainedBefore(run: RunDir, stage: Stage): Promise<{ result: TrainedModel; model: tf.LayersModel } | undefined> {
  const [resultPath, modelPath] = [run.paths.stageResult(stage), join(run.paths.stageModel(stage), 'model.json')];
  if (!existsSync(resultPath) || !existsSync(modelPath)) return undefined;
  return { result: JSON.parse(readFileSync(resultPath, 'utf8')), model: await loadModel({ path: modelPath }) };
}

/**
 * `morphnet retrain`: builds the expanded structure with fresh weights (width-0 groups remove
 * their branch), trains it without the regularizer with a schedule, evaluates and saves a model
 * that stock tf.loadLayersModel reads. With baseline 'uniform', also the seed scaled by one
 * multiplier to the same budget. With retrain.measureLatency (the default), then times each
 * trained model's inference in pairs with the seed's, and the seed's (`<model>/latency.json`).
 */
export async function retrainStage(request: RetrainRequest, events: RetrainEvents = {}): Promise<RetrainResult> {
  // A complete expand implies a complete shrink; the error names the first stage missing.
  const state = RunState.open(request.runDir, 'expand');
  const config = state.config;
  const seed = await state.seed(events.backend);
  const { analysis } = seed;
  const expandedFile = state.expandedFile(seed);
  const expanded: PlannedModel = { structure: structureOfFile(expandedFile), multiplier: expandedFile.multiplier };
  const stages: Stage[] = ['retrain', ...(request.baseline ?? config.retrain.baseline ? (['baseline'] as Stage[]) : [])];

  const run = RunDir.open(request.runDir, request.toolVersion);
  const result: RetrainResult = { runDir: run.root };
  let seedTimed = false;
  try {
    // retrain.measureLatency false: no model is timed (and no table is read to predict one).
    const timing = config.retrain.measureLatency ? inferenceSetting(config, seed) : undefined;
    for (const stage of stages) {
      if (run.stageStatus(stage) === 'complete' && !request.force) {
        const done = run.paths.stageResult(stage);
        if (!existsSync(done)) throw runDirError(`${stage} is marked complete but ${done} is missing`, `rerun it: ${stageCommand(stage, run.root)} --force`);
        result[stage as 'retrain' | 'baseline'] = JSON.parse(readFileSync(done, 'utf8'));
        continue;
      }
      if (request.force) {
        const removed = run.redo(stage);
        if (removed.length > 0) events.removed?.(stage, removed);
      }
      const { structure, multiplier } = stage === 'retrain' ? expanded : await planBaseline(state, seed, expandedFile, run, events);
      const earlier = await trainedBefore(run, stage);
      const model = earlier?.model ?? (await rebuildModel(seed.model, analysis, widthsOf(structure), config.seed));
      if (!earlier && stage === 'retrain' && (request.init ?? config.retrain.init) === 'pruned') {
        await initFromShrink(state, model, structure, `${stageCommand('retrain', run.root)} --init scratch`);
      }
      run.markStage(stage, 'running');
      result[stage as 'retrain' | 'baseline'] = earlier?.result ?? (await trainStage(stage, model, config, run.root, events, { multiplier }));
      if (timing) {
        // Timed in pairs with the seed: its share of the seed's time holds while the machine's speed drifts.
        writeInferenceLatency(run.root, stage as TimedModel, model, { ...timing(widthsOf(structure)), seed: seed.model });
        if (!seedTimed) timeSeed(run.root, seed, timing(widthsOf(seedStructure(analysis))));
        seedTimed = true;
      }
      run.markStage(stage, 'complete');
    }
    return result;
  } catch (error) {
    for (const stage of stages) run.markFailed(stage, error);
    throw error;
  } finally {
    run.close();
  }
}

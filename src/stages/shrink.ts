import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { BackendChoice } from '../backend/select.js';
import type { MorphnetConfig } from '../config/schema.js';
import { CostModel, type CostOptions } from '../cost/cost-model.js';
import { MorphnetError, runDirError } from '../errors.js';
import { saveModel } from '../model/load.js';
import { NetworkRegularizer } from '../regularizers/network-regularizer.js';
import { findSources } from '../regularizers/sources.js';
import { writeFileAtomic, writeJsonAtomic } from '../run-dir/atomic.js';
import { RunDir } from '../run-dir/run-dir.js';
import { buildStructure, type StructureFile } from '../structure/structure-file.js';
import { scoreHistogram, type HistogramBin } from '../structure/score-histogram.js';
import { measuredAccuracy, optionalValAccuracy } from '../train/evaluate.js';
import { outputKind } from '../train/loss.js';
import { microBatchPlanFor, totalSteps, validate } from '../train/loop.js';
import type { MicroBatchPlan } from '../train/memory.js';
import { trainWithCheckpoints } from '../train/session.js';
import { createOptimizer } from '../train/optimizer.js';
import { defaultRunDir, modelShape, prepareExperiment, resolveExperimentConfig, type Experiment, type ExperimentRequest } from './experiment.js';

export interface ShrinkRequest extends ExperimentRequest {
  runDir?: string;
  force?: boolean;
  toolVersion: string;
}

export interface ShrinkProgress {
  step: number;
  totalSteps: number;
  epoch: number;
  loss: number;
  taskLoss: number;
  regLoss: number;
  cost: number;
  initialCost: number;
  aliveChannels: number;
  totalChannels: number;
  /** At the end of an epoch; undefined without a validation set (data.validationSplit: 0). */
  valAccuracy?: number;
}

/** Progress and advice, as events; the CLI decides how to show them. */
export interface ShrinkEvents {
  backend?(choice: BackendChoice): void;
  start?(info: { runDir: string; totalSteps: number; resumedAt: number; strength: number; target: string; microBatches?: MicroBatchPlan }): void;
  step?(progress: ShrinkProgress): void;
  epoch?(progress: ShrinkProgress): void;
  hint?(message: string): void;
  /** With --force: the results made from the previous shrink that were removed (later stages' folders, their exports, the report). */
  removed?(paths: string[]): void;
}

/**
 * Runs shorter than this are too short to judge whether lambda is too small: channels need
 * steps to die, so "nothing has died by half of the run" says nothing about a 4-step try-out.
 */
export const MIN_STEPS_FOR_STRENGTH_HINT = 50;

export interface ShrinkResult {
  runDir: string;
  steps: number;
  resumedAt: number;
  target: string;
  strength: number;
  initialCost: number;
  finalCost: number;
  costReduction: number;
  initialFlops: number;
  finalFlops: number;
  /** Absent without a validation set (data.validationSplit: 0). */
  valAccuracy?: number;
  structure: StructureFile;
  scoreHistogram: HistogramBin[];
  threshold: number;
  hints: string[];
}

/** The channel scores source must exist; a model with BN but no scale is the reference's most common failure. */
function regularizerSetup(experiment: Experiment) {
  const { config, analysis } = experiment;
  const search = findSources(analysis, config.shrink.regularizer);
  if (search.regularized.length === 0) {
    const prunable = analysis.groups.filter((g) => !g.fixed).flatMap((g) => g.sources);
    const detail =
      config.shrink.regularizer === 'gamma' && search.batchNormsWithoutScale.length > 0
        ? `its BatchNormalization layers have no trainable scale (gamma): ${search.batchNormsWithoutScale.join(', ')}`
        : config.shrink.regularizer === 'gamma'
          ? `no prunable group has a BatchNormalization with scale (prunable layers: ${prunable.join(', ') || 'none'})`
          : `no prunable group has a conv or dense kernel (prunable layers: ${prunable.join(', ') || 'none'})`;
    throw new MorphnetError(
      'config',
      `shrink.regularizer: ${config.shrink.regularizer} finds nothing to regularize in ${experiment.modelName}: ${detail}`,
      config.shrink.regularizer === 'gamma' ? 'use shrink.regularizer: group-lasso for models without BN (or BN with scale: true)' : 'the model has no prunable layers',
    );
  }
  return search;
}

function openRunDir(request: ShrinkRequest, config: MorphnetConfig, events: ShrinkEvents): RunDir {
  const run = RunDir.open(request.runDir ?? defaultRunDir(request.configPath, config), request.toolVersion);
  try {
    run.assertStageWritable('shrink', Boolean(request.force));
    const started = run.info.config !== undefined && run.stageStatus('shrink') !== undefined;
    if (started && !request.force && JSON.stringify(run.info.config) !== JSON.stringify(config)) {
      throw runDirError(`${run.root} was started with a different config`, 'rerun with the same config to resume, add --force to start shrink over, or use another --run-dir');
    }
    if (request.force) {
      const removed = run.resetFrom('shrink');
      if (removed.length > 0) events.removed?.(removed);
    }
    return run;
  } catch (error) {
    run.close();
    throw error;
  }
}

/**
 * `morphnet shrink`: trains the seed model with task loss + lambda * MorphNet regularizer and
 * exports the learned structure. Everything is validated before the run dir is touched; a
 * killed run resumes from its last checkpoint and ends with the same structure.
 */
export async function shrinkStage(request: ShrinkRequest, events: ShrinkEvents = {}): Promise<ShrinkResult> {
  const config = resolveExperimentConfig(request);
  const experiment = await prepareExperiment(config, events.backend);
  const search = regularizerSetup(experiment);
  const { model, analysis, dataset } = experiment;
  const shrink = config.shrink;
  const costOptions: CostOptions = { hardware: experiment.hardware, batchSize: 1 };
  if (shrink.target === 'latency' && !experiment.hardware) {
    throw new MorphnetError('config', 'shrink.target: latency needs shrink.hardware, received null', `set shrink.hardware to one of K80, P4, T4, P100, V100, TPUv2 or a name defined under hardware:`);
  }
  const costModel = new CostModel(analysis);
  const regularizer = new NetworkRegularizer(costModel, search.regularized, {
    kind: shrink.regularizer,
    target: shrink.target,
    threshold: shrink.threshold,
    l1Fraction: shrink.l1Fraction,
    costOptions,
  });
  const initialCost = regularizer.cost();
  const initialFlops = costModel.resource('flops', costModel.allAlive());
  const strength = shrink.strength === 'auto' ? 1 / initialCost : shrink.strength;

  const run = openRunDir(request, config, events);
  try {
    const paths = run.paths;
    mkdirSync(paths.shrinkStructures, { recursive: true });
    writeFileAtomic(paths.resolvedConfig, stringify(config));
    run.update({ backend: { name: experiment.backend.name, package: experiment.backend.package, threads: experiment.backend.threads }, seed: config.seed, config });
    if (!existsSync(join(paths.seedModel, 'model.json'))) await saveModel(model, paths.seedModel);
    run.markStage('shrink', 'running');

    const optimizer = createOptimizer(shrink.optimizer);
    const steps = totalSteps(dataset.train.count, config.data.batchSize, shrink.epochs, shrink.steps);
    const totalChannels = search.regularized.reduce((sum, entry) => sum + entry.group.width, 0);
    const hints: string[] = [];
    const hint = (message: string) => {
      hints.push(message);
      events.hint?.(message);
    };
    const aliveByGroup = () => Object.fromEntries(search.regularized.map((entry) => [entry.group.id, entry.group.components.filter((c) => regularizer.aliveComponents()[c] > 0).length]));
    const sumAlive = (alive: Record<string, number>) => Object.values(alive).reduce((a, b) => a + b, 0);
    const structureAt = (step: number) => buildStructure(analysis, costModel, regularizer.aliveComponents(), { model: experiment.modelName, step, costOptions });
    const kind = outputKind(model);
    const { numClasses } = modelShape(model);
    let last: ShrinkProgress | undefined;

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
      checkpointDir: paths.checkpoint('shrink'),
      checkpointEvery: shrink.checkpointEvery,
      metricsPath: paths.shrinkMetrics,
      regularization: strength > 0 ? () => regularizer.penalty().mul(strength) : undefined,
      afterRestore: (resumedAt) => {
        regularizer.updateAlive();
        events.start?.({ runDir: run.root, totalSteps: steps, resumedAt, strength, target: shrink.target, microBatches: microBatchPlanFor(experiment.model, config.data.batchSize) });
      },
      stepMetrics: () => {
        regularizer.updateAlive();
        return { cost: regularizer.cost(), alive: aliveByGroup() };
      },
      afterStep: (losses, next, record) => {
        last = { step: next.step, totalSteps: steps, epoch: next.epoch, ...losses, cost: record.cost as number, initialCost, aliveChannels: sumAlive(record.alive as Record<string, number>), totalChannels };
        events.step?.(last);
        if (steps >= MIN_STEPS_FOR_STRENGTH_HINT && next.step === Math.floor(steps / 2) && strength > 0 && last.aliveChannels === totalChannels) {
          hint(`nothing has died by half of the run (step ${next.step} of ${steps}): raise shrink.strength x10 (now ${strength.toPrecision(3)})`);
        }
        if (next.step % shrink.exportEvery === 0) writeJsonAtomic(join(paths.shrinkStructures, `alive-${String(next.step).padStart(6, '0')}.json`), structureAt(next.step));
      },
      afterEpoch: (_epoch, validation) => {
        if (last) events.epoch?.({ ...last, valAccuracy: measuredAccuracy(validation) });
      },
    });

    const scores = regularizer.readScores();
    regularizer.updateAlive(scores);
    const structure = structureAt(steps);
    writeJsonAtomic(paths.shrinkStructure, structure);
    const finalCost = regularizer.cost();
    if (finalCost <= 0.02 * initialCost) hint(`the ${shrink.target} cost collapsed to ${((100 * finalCost) / initialCost).toFixed(1)}% of the seed's: lower shrink.strength (now ${strength.toPrecision(3)}) or raise shrink.threshold`);
    const validation = validate({ model, dataset, seed: config.seed, numClasses, outputKind: kind, batchNormSamples: config.evaluation.batchNormSamples });
    regularizer.dispose();
    optimizer.dispose();
    const result: ShrinkResult = {
      runDir: run.root,
      steps,
      resumedAt,
      target: shrink.target,
      strength,
      initialCost,
      finalCost,
      costReduction: 1 - finalCost / initialCost,
      initialFlops,
      finalFlops: structure.cost.flops,
      ...optionalValAccuracy(validation),
      structure,
      scoreHistogram: scoreHistogram(scores.flatMap((s) => Array.from(s))),
      threshold: shrink.threshold,
      hints,
    };
    const { structure: _structure, ...summary } = result;
    writeJsonAtomic(paths.stageResult('shrink'), summary);
    run.markStage('shrink', 'complete');
    return result;
  } catch (error) {
    run.markFailed('shrink', error);
    throw error;
  } finally {
    run.close();
  }
}

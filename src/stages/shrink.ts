import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { stringify } from 'yaml';
import type { BackendChoice } from '../backend/select.js';
import type { MorphnetConfig } from '../config/schema.js';
import { formatSi } from '../config/si-number.js';
import { CostModel, type CostOptions } from '../cost/cost-model.js';
import { MorphnetError, runDirError } from '../errors.js';
import { saveModel } from '../model/load.js';
import { NetworkRegularizer } from '../regularizers/network-regularizer.js';
import { GATE_ALIVE_PROBABILITY } from '../regularizers/gates.js';
import { findSources, type SourceKind } from '../regularizers/sources.js';
import { writeFileAtomic, writeJsonAtomic } from '../run-dir/atomic.js';
import { RunDir } from '../run-dir/run-dir.js';
import { insertGates, type GatedModel } from '../surgery/insert-gates.js';
import { buildStructure, type StructureFile } from '../structure/structure-file.js';
import { scoreHistogram, type HistogramBin } from '../structure/score-histogram.js';
import { measuredAccuracy, optionalValAccuracy } from '../train/evaluate.js';
import { GoalSteering } from '../train/goal-steering.js';
import { defaultControllerOptions, goalCost } from '../train/lambda-controller.js';
import { outputKind } from '../train/loss.js';
import { microBatchPlanFor, totalSteps, validate } from '../train/loop.js';
import type { MicroBatchPlan } from '../train/memory.js';
import { trainWithCheckpoints } from '../train/session.js';
import { createOptimizer } from '../train/optimizer.js';
import { ShrinkMonitor, type ShrinkProgress } from '../train/shrink-monitor.js';
import { defaultRunDir, modelShape, prepareExperiment, resolveExperimentConfig, type Experiment, type ExperimentRequest } from '../run-state/experiment.js';

export interface ShrinkRequest extends ExperimentRequest {
  runDir?: string;
  force?: boolean;
  toolVersion: string;
}

export type { ShrinkProgress } from '../train/shrink-monitor.js';
export { MIN_STEPS_FOR_STRENGTH_HINT } from '../train/shrink-monitor.js';

/** Progress and advice, as events; the CLI decides how to show them. */
export interface ShrinkEvents {
  backend?(choice: BackendChoice): void;
  /** `strength`: the lambda of the first step to run (with a goal, where the steering starts or resumes). */
  start?(info: { runDir: string; totalSteps: number; resumedAt: number; strength: number; goal?: string; target: string; microBatches?: MicroBatchPlan }): void;
  step?(progress: ShrinkProgress): void;
  epoch?(progress: ShrinkProgress): void;
  hint?(message: string): void;
  /** With --force: the results made from the previous shrink that were removed (later stages' folders, their exports, the report). */
  removed?(paths: string[]): void;
}

export interface ShrinkResult {
  runDir: string;
  steps: number;
  resumedAt: number;
  target: string;
  /** The lambda of the last step (with a goal, where the steering ended). */
  strength: number;
  /**
   * shrink.goal as given, the cost it asks for, and how the structure settled
   * (GoalSteering.settle): the cost at the threshold, channels cut and kept to approach the goal.
   */
  goal?: { text: string; cost: number; thresholdCost: number; cut: number; kept: number };
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
function regularizerSetup(experiment: Experiment, gates?: GatedModel) {
  const { config, analysis } = experiment;
  // gates: each gated group's source is its gate (insertGates fails when there is nothing to gate).
  const search = gates?.search ?? findSources(analysis, config.shrink.regularizer as SourceKind);
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

/** Keys that choose how to compute, not what: a shrink resumes with another backend or thread count. */
const EXECUTION_KEYS = ['backend', 'threads'] as const;

/** The config as the resume check compares it: no execution keys, no undefined fields, `strength: auto` spelled out when no goal replaces it. */
function resumeView(config: MorphnetConfig): unknown {
  const view: Record<string, unknown> = JSON.parse(JSON.stringify(config));
  for (const key of EXECUTION_KEYS) delete view[key];
  const shrink = view.shrink as Record<string, unknown>;
  if (shrink.goal === undefined) shrink.strength ??= 'auto';
  return view;
}

/** Whether a run dir started with `stored` can resume with `config`. */
export function sameShrinkConfig(stored: MorphnetConfig, config: MorphnetConfig): boolean {
  return isDeepStrictEqual(resumeView(stored), resumeView(config));
}

function openRunDir(request: ShrinkRequest, config: MorphnetConfig, events: ShrinkEvents): RunDir {
  const run = RunDir.open(request.runDir ?? defaultRunDir(request.configPath, config), request.toolVersion);
  try {
    run.assertStageWritable('shrink', Boolean(request.force));
    const started = run.info.config !== undefined && run.stageStatus('shrink') !== undefined;
    if (started && !request.force && !sameShrinkConfig(run.info.config as MorphnetConfig, config)) {
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

/** Everything a shrink needs, validated before the run dir is touched. */
interface ShrinkSetup {
  config: MorphnetConfig;
  experiment: Experiment;
  search: ReturnType<typeof regularizerSetup>;
  costModel: CostModel;
  costOptions: CostOptions;
  regularizer: NetworkRegularizer;
  initialCost: number;
  initialFlops: number;
  steps: number;
  /** Fixed lambda, or the controller that steers it toward shrink.goal. */
  lambda: number | GoalSteering;
  goal?: { text: string; cost: number };
  /** shrink.regularizer: gates: the seed's layers with a ChannelGate per group, the model trained instead of the seed. */
  gates?: GatedModel;
}

async function prepareShrink(request: ShrinkRequest, events: ShrinkEvents): Promise<ShrinkSetup> {
  const config = resolveExperimentConfig(request);
  const experiment = await prepareExperiment(config, events.backend);
  const gates = config.shrink.regularizer === 'gates' ? insertGates(experiment.model, experiment.analysis, config.seed) : undefined;
  const search = regularizerSetup(experiment, gates);
  const shrink = config.shrink;
  const costOptions: CostOptions = { hardware: experiment.hardware, batchSize: 1 };
  if (shrink.target === 'latency' && !experiment.hardware) {
    throw new MorphnetError('config', 'shrink.target: latency needs shrink.hardware, received null', `set shrink.hardware to one of K80, P4, T4, P100, V100, TPUv2 or a name defined under hardware:`);
  }
  const costModel = new CostModel(experiment.analysis);
  const regularizer = new NetworkRegularizer(costModel, search.regularized, {
    kind: shrink.regularizer,
    target: shrink.target,
    threshold: gates ? GATE_ALIVE_PROBABILITY : shrink.threshold,
    l1Fraction: shrink.l1Fraction,
    costOptions,
  });
  const initialCost = regularizer.cost();
  const steps = totalSteps(experiment.dataset.train.count, config.data.batchSize, shrink.epochs, shrink.steps);
  // auto: 1 / the seed's cost, so that lambda * R starts near 1 whatever the resource's unit.
  const autoStrength = 1 / initialCost;
  const goal = shrink.goal === undefined ? undefined : { text: String(shrink.goal), cost: goalCost(shrink.goal, initialCost) };
  if (goal && goal.cost >= initialCost) {
    throw new MorphnetError('config', `shrink.goal: ${goal.text} asks for a ${shrink.target} cost of ${formatSi(goal.cost)}, at or above the seed's ${formatSi(initialCost)}`, `give a goal below the seed's cost, e.g. 50% or ${formatSi(initialCost / 2)}`);
  }
  const lambda = goal
    ? new GoalSteering(defaultControllerOptions(goal.cost, initialCost, autoStrength, steps), regularizer.options.threshold, regularizer.readScores())
    : shrink.strength === undefined || shrink.strength === 'auto'
      ? autoStrength
      : shrink.strength;
  return { config, experiment, search, costModel, costOptions, regularizer, initialCost, initialFlops: costModel.resource('flops', costModel.allAlive()), steps, lambda, goal, gates };
}

const currentLambda = (lambda: number | GoalSteering) => (typeof lambda === 'number' ? lambda : lambda.lambda);
/** The goal steering of a goal-seeking shrink; nothing for a fixed strength. */
const steeringOf = (setup: ShrinkSetup) => (typeof setup.lambda === 'number' ? undefined : setup.lambda);

/** Records the run's start: resolved config, backend, seed model. */
async function startRunDir(run: RunDir, setup: ShrinkSetup): Promise<void> {
  const { config, experiment } = setup;
  mkdirSync(run.paths.shrinkStructures, { recursive: true });
  writeFileAtomic(run.paths.resolvedConfig, stringify(config));
  const { backend } = experiment;
  run.update({ backend: { name: backend.name, package: backend.package, threads: backend.threads, fallback: backend.fallback }, seed: config.seed, config });
  if (!existsSync(join(run.paths.seedModel, 'model.json'))) await saveModel(experiment.model, run.paths.seedModel);
  run.markStage('shrink', 'running');
}

const structureAt = (setup: ShrinkSetup, step: number) =>
  buildStructure(setup.experiment.analysis, setup.costModel, setup.regularizer.aliveComponents(), { model: setup.experiment.modelName, step, costOptions: setup.costOptions });

/** The training loop: task loss + lambda * R, lambda steered after each step when there is a goal. */
async function trainShrink(setup: ShrinkSetup, run: RunDir, monitor: ShrinkMonitor, events: ShrinkEvents): Promise<{ resumedAt: number; lambda: number }> {
  const { config, experiment, regularizer, steps } = setup;
  const shrink = config.shrink;
  const steering = steeringOf(setup);
  let lambda = currentLambda(setup.lambda);
  const optimizer = createOptimizer(shrink.optimizer);
  const { numClasses } = modelShape(experiment.model);
  try {
    const { resumedAt } = await trainWithCheckpoints({
      model: setup.gates?.model ?? experiment.model,
      optimizer,
      dataset: experiment.dataset,
      batchSize: config.data.batchSize,
      seed: config.seed,
      batchNormSamples: config.evaluation.batchNormSamples,
      totalSteps: steps,
      numClasses,
      outputKind: outputKind(experiment.model),
      checkpointDir: run.paths.checkpoint('shrink'),
      checkpointEvery: shrink.checkpointEvery,
      metricsPath: run.paths.shrinkMetrics,
      beforeStep: (position) => setup.gates?.sampleNoise(position.step),
      regularization: lambda > 0 || steering ? () => regularizer.penalty().mul(lambda) : undefined,
      checkpointState: () => (steering ? { controller: steering.state() } : {}),
      afterRestore: (resumedAt, state) => {
        if (steering && state.controller) lambda = steering.restore(state.controller as { lambda: number });
        regularizer.updateAlive();
        events.start?.({ runDir: run.root, totalSteps: steps, resumedAt, strength: lambda, goal: setup.goal?.text, target: shrink.target, microBatches: microBatchPlanFor(experiment.model, config.data.batchSize) });
      },
      stepMetrics: () => ({ lambda, ...monitor.measure() }),
      afterStep: (losses, next, record) => {
        const measured = record as unknown as { cost: number; alive: Record<string, number> };
        const exportDue = monitor.afterStep(losses, next, measured, lambda);
        events.step?.(monitor.latest()!);
        if (exportDue) writeJsonAtomic(join(run.paths.shrinkStructures, `alive-${String(next.step).padStart(6, '0')}.json`), structureAt(setup, next.step));
        if (steering) lambda = steering.afterStep(next.step, regularizer);
      },
      afterEpoch: (_epoch, validation) => {
        const progress = monitor.epochProgress(measuredAccuracy(validation));
        if (progress) events.epoch?.(progress);
      },
    });
    return { resumedAt, lambda };
  } finally {
    optimizer.dispose();
  }
}

/** The final structure, the hints on it, the validation and the stage's result file. */
function finishShrink(setup: ShrinkSetup, run: RunDir, monitor: ShrinkMonitor, trained: { resumedAt: number; lambda: number }): ShrinkResult {
  const { config, experiment, regularizer, steps, initialCost } = setup;
  const scores = regularizer.readScores();
  const steering = steeringOf(setup);
  const settlement = steering?.settle(regularizer, scores);
  if (settlement) regularizer.setAlive(settlement.alive);
  else regularizer.updateAlive(scores);
  const structure = structureAt(setup, steps);
  writeJsonAtomic(run.paths.shrinkStructure, structure);
  const finalCost = regularizer.cost();
  monitor.finish(finalCost, trained.lambda);
  const { numClasses } = modelShape(experiment.model);
  const validation = validate({ model: setup.gates?.model ?? experiment.model, dataset: experiment.dataset, seed: config.seed, numClasses, outputKind: outputKind(experiment.model), batchNormSamples: config.evaluation.batchNormSamples });
  const result: ShrinkResult = {
    runDir: run.root,
    steps,
    resumedAt: trained.resumedAt,
    target: config.shrink.target,
    strength: trained.lambda,
    ...(setup.goal && settlement ? { goal: { ...setup.goal, thresholdCost: settlement.thresholdCost, cut: settlement.cut, kept: settlement.kept } } : {}),
    initialCost,
    finalCost,
    costReduction: 1 - finalCost / initialCost,
    initialFlops: setup.initialFlops,
    finalFlops: structure.cost.flops,
    ...optionalValAccuracy(validation),
    structure,
    scoreHistogram: scoreHistogram(scores.flatMap((s) => Array.from(s))),
    threshold: regularizer.options.threshold,
    hints: monitor.hints,
  };
  const { structure: _structure, ...summary } = result;
  writeJsonAtomic(run.paths.stageResult('shrink'), summary);
  return result;
}

/**
 * `morphnet shrink`: trains the seed model with task loss + lambda * MorphNet regularizer and
 * exports the learned structure. Everything is validated before the run dir is touched; a
 * killed run resumes from its last checkpoint and ends with the same structure.
 */
export async function shrinkStage(request: ShrinkRequest, events: ShrinkEvents = {}): Promise<ShrinkResult> {
  const setup = await prepareShrink(request, events);
  const run = openRunDir(request, setup.config, events);
  try {
    await startRunDir(run, setup);
    const monitor = new ShrinkMonitor(setup.regularizer, {
      totalSteps: setup.steps,
      initialCost: setup.initialCost,
      exportEvery: setup.config.shrink.exportEvery,
      target: setup.config.shrink.target,
      goal: setup.goal,
      onHint: events.hint,
    });
    const trained = await trainShrink(setup, run, monitor, events);
    const result = finishShrink(setup, run, monitor, trained);
    run.markStage('shrink', 'complete');
    return result;
  } catch (error) {
    run.markFailed('shrink', error);
    throw error;
  } finally {
    setup.regularizer.dispose();
    setup.gates?.dispose();
    run.close();
  }
}

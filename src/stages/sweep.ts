import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { parse, stringify } from 'yaml';
import type { BackendChoice } from '../backend/select.js';
import { ConfigInvalidError, loadConfigFile } from '../config/load.js';
import type { MorphnetConfig } from '../config/schema.js';
import type { SweepConfig } from '../config/sweep-schema.js';
import type { CostOptions } from '../cost/cost-model.js';
import { countModel } from '../cost/count-model.js';
import { configError, MorphnetError, runDirError } from '../errors.js';
import type { ChannelAnalysis } from '../graph/channel-groups.js';
import { registerFileRouters } from '../model/file-io.js';
import { loadModel } from '../model/load.js';
import { writeFileAtomic, writeJsonAtomic } from '../run-dir/atomic.js';
import { acquireLock } from '../run-dir/lock.js';
import { isStageComplete, readManifest, runDirLayout, type Manifest, type Stage } from '../run-dir/run-dir.js';
import type { TrainedModel } from '../run-dir/trained-model.js';
import { prepareExperiment, type Experiment } from '../run-state/experiment.js';
import { readShrinkStructure, readStructureFile, shrinkAgain } from '../structure/read-structure.js';
import { StructureCosting } from '../structure/cost-of.js';
import { structureOfFile } from '../structure/structure-file.js';
import { seedStructure, widthsOf } from '../structure/structure.js';
import { assertGoalBudgets, resolveBudgets, resolveStrengths, type Budget, type BudgetResource } from '../sweep/budgets.js';
import { configDifferences } from '../sweep/config-diff.js';
import { assignShrinks, goalText, planGoalShrinks, planShrinks, planTrainedRuns, type LearnedShrink, type ShrinkRun, type TrainedRun } from '../sweep/plan.js';
import { sweepStatistics, type AccuracyMetric, type ArmResult, type ModelCost } from '../sweep/summary.js';
import { SWEEP_FORMAT, type SweepShrink, type SweepSummary } from '../sweep/sweep-file.js';
import { EXPAND_TARGET_KEYS, expandStage, type ExpandEvents } from './expand.js';
import { reportStage } from './report.js';
import { writeHtmlReport } from './report-html.js';
import { retrainStage, type RetrainEvents } from './retrain.js';
import { shrinkStage, type ShrinkEvents } from './shrink.js';
import { writeSweepHtml } from './sweep-html.js';

export interface SweepRequest {
  configPath: string;
  /** Default: sweeps/<config name>. */
  sweepDir?: string;
  toolVersion: string;
}

/** A sub-run starting, skipped as finished, or done; `index` counts from 1 within shrinks, then within trained runs. */
export interface SubRunEvent {
  name: string;
  kind: 'shrink' | 'trained';
  index: number;
  total: number;
  state: 'start' | 'skipped' | 'done';
}

/** Progress of a sweep, as events; the CLI decides how to show them. */
export interface SweepEvents {
  backend?(choice: BackendChoice): void;
  /** What will be run: the shrinks (resolved strengths, or one goal per budget) and budgets, and which accuracy is compared. */
  plan?(info: { sweepDir: string; target: BudgetResource; seedCost: number; shrinks: ShrinkRun[]; budgets: Budget[]; metric: AccuracyMetric; metricNote?: string }): void;
  subRun?(event: SubRunEvent): void;
  shrink?: ShrinkEvents;
  expand?: ExpandEvents;
  retrain?: RetrainEvents;
}

export interface SweepResult {
  sweepDir: string;
  summary: SweepSummary;
  json: string;
  html: string;
}

// ---------------------------------------------------------------- config

/** Reads a sweep config: the experiment keys and the `sweep:` section, every problem reported at once with file:line:col. */
export function loadSweepConfig(fileName: string): { config: MorphnetConfig; sweep: SweepConfig } {
  const config = loadConfigFile(fileName);
  if (!config.sweep) {
    throw new ConfigInvalidError(fileName, [{ path: 'sweep', location: `${fileName}:1:1`, message: 'required: a sweep: section, e.g. sweep: {budgets: ["25%", "50%"], seeds: [1, 2, 3]}' }]);
  }
  // Sub-runs are ordinary run dirs: their configs hold the experiment, not the sweep.
  const { sweep, ...experiment } = config;
  return { config: experiment, sweep };
}

export const defaultSweepDir = (configPath: string) => join('sweeps', basename(configPath, extname(configPath)));

/** The resolved config without the seed list: the part of a sweep dir's config that may not change. */
const fixedPart = (config: Record<string, unknown>) => ({ ...config, sweep: { ...(config.sweep as object), seeds: undefined } });

/**
 * Locks the sweep dir and checks it was made from this config (only sweep.seeds may change:
 * seeds are independent run dirs); then records the config. Refuses a run dir or a folder of
 * something else. Returns the unlock.
 */
function openSweepDir(sweepDir: string, resolved: Record<string, unknown>): () => void {
  if (existsSync(runDirLayout(sweepDir).manifest)) {
    throw runDirError(`${sweepDir} is a run dir (it has run.json), not a sweep dir`, 'pass another sweep dir with -r SWEEP_DIR');
  }
  mkdirSync(sweepDir, { recursive: true });
  const release = acquireLock(join(sweepDir, 'sweep.lock'), sweepDir);
  try {
    const configFile = join(sweepDir, 'config.resolved.yaml');
    if (existsSync(configFile)) {
      const differences = configDifferences(fixedPart(parse(readFileSync(configFile, 'utf8'))), fixedPart(resolved));
      if (differences.length > 0) {
        const list = differences.slice(0, 5).map((d) => `${d.path} was ${JSON.stringify(d.before) ?? 'unset'}, now ${JSON.stringify(d.after) ?? 'unset'}`);
        throw configError(
          `${sweepDir} was made from another config: ${list.join('; ')}${differences.length > 5 ? `; and ${differences.length - 5} more` : ''}`,
          `rerun with the config it was made from (${configFile} is a copy), or pass another -r SWEEP_DIR; only sweep.seeds may change between runs of one sweep`,
        );
      }
    } else if (readdirSync(sweepDir).some((name) => name !== 'sweep.lock')) {
      throw runDirError(`${sweepDir} is not empty and holds no sweep (no config.resolved.yaml)`, 'pass an empty or new sweep dir with -r SWEEP_DIR');
    }
    writeFileAtomic(configFile, stringify(resolved));
    return release;
  } catch (error) {
    release();
    throw error;
  }
}

// ---------------------------------------------------------------- costs

/** Everything costs are measured with: the seed's channel analysis and the budgets' resource (sweep.resource, else shrink.target). */
interface Costing {
  analysis: ChannelAnalysis;
  costing: StructureCosting;
  resource: BudgetResource;
  seedCost: number;
  modelName: string;
}

function costingOf(experiment: Experiment, sweep: SweepConfig): Costing {
  const resource = sweep.resource ?? experiment.config.shrink.target;
  if (resource === 'latency' && !experiment.hardware) {
    const key = sweep.resource ? 'sweep.resource' : 'shrink.target';
    throw configError(`${key}: latency needs shrink.hardware, received null`, 'set shrink.hardware to one of K80, P4, T4, P100, V100, TPUv2 or a name defined under hardware:');
  }
  const costOptions: CostOptions = { hardware: experiment.hardware, batchSize: 1 };
  const costing = new StructureCosting(experiment.analysis, costOptions);
  const seedCost = costing.resource(resource, widthsOf(seedStructure(experiment.analysis)));
  return { analysis: experiment.analysis, costing, resource, seedCost, modelName: experiment.modelName };
}

/** The cost of a shrink's learned structure in the target resource, as expand measures it. */
function learnedCost(costing: Costing, runDir: string): number {
  const structure = structureOfFile(readShrinkStructure(runDir, costing.analysis, costing.modelName));
  return costing.costing.resource(costing.resource, widthsOf(structure));
}

/** A finished shrink: its learned cost, and its strength (a goal shrink's is the lambda its steering ended at, from shrink/result.json). */
function learnedShrink(costing: Costing, runDir: string, shrink: ShrinkRun): LearnedShrink {
  const strength = shrink.strength ?? readJson<{ strength: number }>(runDirLayout(runDir).stageResult('shrink')).strength;
  return { ...shrink, strength, cost: learnedCost(costing, runDir) };
}

/** The shrinks of a sweep: one per listed or grid strength, or with `strengths: goal` one per budget (each below the seed's cost). */
function sweepShrinks(sweep: SweepConfig, budgets: Budget[], costing: Costing): ShrinkRun[] {
  if (sweep.strengths !== 'goal') return planShrinks(resolveStrengths(sweep.strengths, costing.seedCost));
  assertGoalBudgets(budgets, costing.seedCost, costing.resource);
  return planGoalShrinks(budgets);
}

/** Test accuracy where the data has a test split; else validation, said so; neither is an error before anything runs. */
function accuracyMetric(experiment: Experiment): { metric: AccuracyMetric; metricNote?: string } {
  if (experiment.dataset.test && experiment.dataset.test.count > 0) return { metric: 'test' };
  if (experiment.dataset.validation.count > 0) {
    return { metric: 'validation', metricNote: `the ${experiment.config.data.dataset} data has no test split: accuracies are on the validation split (${experiment.dataset.validation.count} samples)` };
  }
  throw configError(
    `data.validationSplit: the ${experiment.config.data.dataset} data has no test split and the validation split is empty, received ${experiment.config.data.validationSplit}; a sweep needs held-out samples to compare its arms on`,
    'set data.validationSplit to 0.1, or use a dataset with a test split',
  );
}

// ---------------------------------------------------------------- sub-runs

async function writeReport(runDir: string): Promise<void> {
  writeHtmlReport(await reportStage(runDir));
}

/** The config's shrink section with this shrink's strength, or its goal (and no strength: the two keys exclude each other). */
function shrinkSection(config: MorphnetConfig, shrink: ShrinkRun): MorphnetConfig['shrink'] {
  const { strength: _strength, goal: _goal, ...rest } = config.shrink;
  return shrink.goal ? { ...rest, goal: shrink.goal.value } : { ...rest, strength: shrink.strength };
}

/** A shrink sub-run: an ordinary run dir with the config's seed and this strength or goal; skipped when complete, else (re)started, resuming from its checkpoint. */
async function runShrink(context: SweepContext, shrink: ShrinkRun): Promise<boolean> {
  const root = join(context.sweepDir, shrink.name);
  if (isStageComplete(root, 'shrink') && existsSync(runDirLayout(root).reportHtml)) return false;
  if (!isStageComplete(root, 'shrink')) {
    const overrides = { ...context.config, shrink: shrinkSection(context.config, shrink) };
    await shrinkStage({ overrides, runDir: root, toolVersion: context.toolVersion }, context.events.shrink);
  }
  await writeReport(root);
  return true;
}

/** The config a trained run dir records: the arm's seed, the budget as its expand target, the baseline when an arm needs it. */
function trainedRunConfig(context: SweepContext, run: TrainedRun): MorphnetConfig {
  const targetKey = EXPAND_TARGET_KEYS.find(([, resource]) => resource === context.costing.resource)![0];
  const expand = Object.fromEntries(Object.entries(context.config.expand).filter(([key]) => key !== 'multiplier' && !EXPAND_TARGET_KEYS.some(([k]) => k === key)));
  return {
    ...context.config,
    seed: run.seed,
    shrink: shrinkSection(context.config, run.shrink),
    expand: { ...expand, [targetKey]: run.budget.amount } as MorphnetConfig['expand'],
    retrain: { ...context.config.retrain, baseline: run.baseline ? 'uniform' : null },
  };
}

/** Hard-links (copies where links are not possible) every file of `from` into `to`. */
function linkTree(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const [source, target] = [join(from, entry.name), join(to, entry.name)];
    if (entry.isDirectory()) linkTree(source, target);
    else if (!entry.name.endsWith('.tmp')) {
      try {
        linkSync(source, target);
      } catch {
        copyFileSync(source, target);
      }
    }
  }
}

/**
 * Makes a trained run dir from its shrink: the seed model and shrink/ (hard links: finished
 * files are only ever replaced by rename, never rewritten), run.json with the shrink complete and
 * the run's own config. Built under a temporary name and renamed, so a kill leaves nothing half made.
 */
function createTrainedRun(context: SweepContext, run: TrainedRun, config: MorphnetConfig): void {
  const root = join(context.sweepDir, run.name);
  const shrinkRoot = join(context.sweepDir, run.shrink.name);
  const source = readManifest(shrinkRoot);
  const temp = join(context.sweepDir, `.${run.name}.partial`);
  rmSync(temp, { recursive: true, force: true });
  for (const folder of ['seed', 'shrink']) linkTree(join(shrinkRoot, folder), join(temp, folder));
  const now = new Date().toISOString();
  const manifest: Manifest & { sweep: Record<string, unknown> } = {
    format: 'morphnet.run/1',
    tool: { name: 'morphnet', version: context.toolVersion },
    createdAt: now,
    updatedAt: now,
    ...(source.backend ? { backend: source.backend } : {}),
    seed: run.seed,
    config,
    stages: { shrink: source.stages.shrink },
    sweep: { shrink: run.shrink.name, shrinkSeed: context.config.seed, budget: run.budget.label, arms: run.arms.map((a) => a.arm) },
  };
  writeFileAtomic(join(temp, 'config.resolved.yaml'), stringify(config));
  writeJsonAtomic(join(temp, 'run.json'), manifest);
  renameSync(temp, root);
}

/**
 * A trained sub-run: made from its shrink if new, expanded to its budget, retrained (with the
 * uniform baseline when an arm needs it), reported. Finished ones are skipped untouched; an
 * interrupted one resumes where its stages stopped.
 */
async function runTrained(context: SweepContext, run: TrainedRun): Promise<boolean> {
  const root = join(context.sweepDir, run.name);
  const config = trainedRunConfig(context, run);
  if (!existsSync(runDirLayout(root).manifest)) createTrainedRun(context, run, config);
  const recorded = readManifest(root).config;
  const differences = configDifferences(recorded, JSON.parse(JSON.stringify(config)));
  if (differences.length > 0) {
    throw runDirError(`${root} was made for another plan (${differences[0].path} was ${JSON.stringify(differences[0].before)}, now ${JSON.stringify(differences[0].after)})`, `remove ${root} and rerun the sweep to make it again`);
  }
  const stages: Stage[] = ['expand', 'retrain', ...(run.baseline ? (['baseline'] as Stage[]) : [])];
  if (stages.every((stage) => isStageComplete(root, stage)) && existsSync(runDirLayout(root).reportHtml)) return false;
  if (!isStageComplete(root, 'expand')) {
    await expandStage({ runDir: root, target: { resource: context.costing.resource, value: run.budget.amount }, toolVersion: context.toolVersion }, context.events.expand);
  }
  if (!stages.every((stage) => isStageComplete(root, stage))) {
    await retrainStage({ runDir: root, ...(run.baseline ? { baseline: 'uniform' as const } : {}), toolVersion: context.toolVersion }, context.events.retrain);
  }
  await writeReport(root);
  return true;
}

/**
 * Runs a sub-run: its errors name it (an expand budget error says `--target-flops`, which the
 * sweep chose), and the tensors and variables it made are freed afterwards (the stages leave
 * their models to the garbage collector, which never frees tfjs memory, and a sweep runs many
 * stages in one process).
 */
async function subRun<T>(name: string, work: () => Promise<T>): Promise<T> {
  const before = new Set(Object.keys(tf.engine().state.registeredVariables));
  tf.engine().startScope();
  try {
    return await work();
  } catch (error) {
    if (error instanceof MorphnetError && !(error instanceof ConfigInvalidError)) throw new MorphnetError(error.kind, `sweep sub-run ${name}: ${error.message}`, error.hint);
    throw error;
  } finally {
    tf.engine().endScope();
    for (const [variableName, variable] of Object.entries(tf.engine().state.registeredVariables)) if (!before.has(variableName)) variable.dispose();
  }
}

// ---------------------------------------------------------------- results

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

async function latencyOf(context: SweepContext, modelDir: string): Promise<number | undefined> {
  if (!context.experimentHardware) return undefined;
  registerFileRouters();
  const model = await loadModel({ path: join(modelDir, 'model.json') });
  const latency = countModel(model, { hardware: context.experimentHardware, batchSize: 1 }).totals.latency;
  model.dispose();
  return latency;
}

async function armResults(context: SweepContext, run: TrainedRun): Promise<ArmResult[]> {
  const root = join(context.sweepDir, run.name);
  const results: ArmResult[] = [];
  for (const { arm, stage } of run.arms) {
    const trained = readJson<TrainedModel>(runDirLayout(root).stageResult(stage));
    const accuracy = context.metric === 'test' ? trained.testAccuracy : trained.valAccuracy;
    if (typeof accuracy !== 'number') throw runDirError(`${runDirLayout(root).stageResult(stage)} has no ${context.metric} accuracy`, `remove ${root} and rerun the sweep`);
    const latency = await latencyOf(context, runDirLayout(root).stageModel(stage));
    const cost: ModelCost = { flops: trained.cost.flops, params: trained.cost.params, ...(latency !== undefined ? { latency } : {}) };
    const accuracies = { ...(trained.valAccuracy !== undefined ? { valAccuracy: trained.valAccuracy } : {}), ...(trained.testAccuracy !== undefined ? { testAccuracy: trained.testAccuracy } : {}) };
    results.push({ run: run.name, arm, budget: run.budget.label, budgetAmount: run.budget.amount, ...shrinkFields(run.shrink), seed: run.seed, cost, ...accuracies, accuracy });
  }
  return results;
}

/** How sweep.json names a trained run's shrink: its run dir, strength and (for a goal shrink) goal. */
const shrinkFields = (shrink: LearnedShrink) => ({ shrink: shrink.name, strength: shrink.strength, ...(shrink.goal ? { goal: goalText(shrink.goal) } : {}) });

function shrinkSummary(context: SweepContext, shrink: LearnedShrink, budgets: string[]): SweepShrink {
  const root = join(context.sweepDir, shrink.name);
  const structure = readStructureFile(runDirLayout(root).shrinkStructure, shrinkAgain(root));
  const result = readJson<{ valAccuracy?: number }>(runDirLayout(root).stageResult('shrink'));
  return {
    run: shrink.name,
    strength: shrink.strength,
    ...(shrink.goal ? { goal: goalText(shrink.goal) } : {}),
    learnedCost: shrink.cost,
    cost: { flops: structure.cost.flops, params: structure.cost.params },
    ...(typeof result.valAccuracy === 'number' ? { valAccuracy: result.valAccuracy } : {}),
    budgets,
  };
}

// ---------------------------------------------------------------- the sweep

interface SweepContext {
  sweepDir: string;
  config: MorphnetConfig;
  costing: Costing;
  metric: AccuracyMetric;
  experimentHardware: Experiment['hardware'];
  toolVersion: string;
  events: SweepEvents;
}

/**
 * `morphnet sweep`: one shrink per strength (or per budget, seeking it), then per seed and budget the arms (MorphNet's
 * structure expanded to the budget, the uniform baseline, the seed network), each an ordinary
 * run dir made by the ordinary stages; statistics over seeds; sweep.json and sweep.html.
 * Everything is validated before the sweep dir is touched; finished sub-runs are skipped and
 * interrupted ones resume, so re-running after a crash finishes the sweep.
 */
export async function sweepStage(request: SweepRequest, events: SweepEvents = {}): Promise<SweepResult> {
  const { config, sweep } = loadSweepConfig(request.configPath);
  const sweepDir = resolve(request.sweepDir ?? defaultSweepDir(request.configPath));
  const experiment = await prepareExperiment(config, events.backend);
  const { metric, metricNote } = accuracyMetric(experiment);
  const costing = costingOf(experiment, sweep);
  experiment.model.dispose();
  const budgets = resolveBudgets(sweep.budgets, costing.seedCost, costing.resource);
  const shrinks = sweepShrinks(sweep, budgets, costing);
  const resolvedConfig = JSON.parse(JSON.stringify({ ...config, sweep })) as Record<string, unknown>;
  const release = openSweepDir(sweepDir, resolvedConfig);
  try {
    const context: SweepContext = { sweepDir, config, costing, metric, experimentHardware: experiment.hardware, toolVersion: request.toolVersion, events };
    events.plan?.({ sweepDir, target: costing.resource, seedCost: costing.seedCost, shrinks, budgets, metric, ...(metricNote ? { metricNote } : {}) });

    for (const [i, shrink] of shrinks.entries()) {
      const step = { name: shrink.name, kind: 'shrink' as const, index: i + 1, total: shrinks.length };
      events.subRun?.({ ...step, state: 'start' });
      // Run first: an optional call would skip evaluating its arguments without a listener.
      const ran = await subRun(shrink.name, () => runShrink(context, shrink));
      events.subRun?.({ ...step, state: ran ? 'done' : 'skipped' });
    }
    const learned = shrinks.map((shrink) => learnedShrink(costing, join(sweepDir, shrink.name), shrink));
    const assignments = assignShrinks(budgets, learned, sweep.pick);
    const trained = planTrainedRuns({ assignments, shrinks: learned, seedCost: costing.seedCost, seeds: sweep.seeds, arms: sweep.arms, pick: sweep.pick });
    for (const [i, run] of trained.entries()) {
      const step = { name: run.name, kind: 'trained' as const, index: i + 1, total: trained.length };
      events.subRun?.({ ...step, state: 'start' });
      const ran = await subRun(run.name, () => runTrained(context, run));
      events.subRun?.({ ...step, state: ran ? 'done' : 'skipped' });
    }

    const results = (await Promise.all(trained.map((run) => armResults(context, run)))).flat();
    const served = (shrink: LearnedShrink) => trained.filter((r) => r.shrink.name === shrink.name && r.arms.some((a) => a.arm !== 'seed')).map((r) => r.budget.label);
    const summary: SweepSummary = {
      format: SWEEP_FORMAT,
      sweepDir,
      model: experiment.modelName,
      backend: experiment.backend.name,
      target: costing.resource,
      ...(costing.resource !== config.shrink.target ? { shrinkTarget: config.shrink.target } : {}),
      seedCost: costing.seedCost,
      ...(experiment.hardware ? { hardware: config.shrink.hardware ?? config.expand.hardware ?? undefined } : {}),
      metric,
      ...(metricNote ? { metricNote } : {}),
      pick: sweep.pick,
      strengths: learned.map((shrink) => shrink.strength),
      budgets,
      seeds: sweep.seeds,
      arms: sweep.arms,
      shrinks: learned.map((shrink) => shrinkSummary(context, shrink, [...new Set(served(shrink))])),
      runs: trained.map((r) => ({ run: r.name, ...shrinkFields(r.shrink), budget: r.budget.label, budgetAmount: r.budget.amount, seed: r.seed, arms: r.arms })),
      results,
      statistics: sweepStatistics(results, sweep.pick, metric),
      config: resolvedConfig,
    };
    const json = join(sweepDir, 'sweep.json');
    writeJsonAtomic(json, summary);
    return { sweepDir, summary, json, html: writeSweepHtml(summary, join(sweepDir, 'sweep.html')) };
  } finally {
    release();
  }
}


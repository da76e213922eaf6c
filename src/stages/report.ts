import { existsSync, readFileSync } from 'node:fs';
import type { BackendChoice } from '../backend/select.js';
import type { MorphnetConfig } from '../config/schema.js';
import { writeJsonAtomic } from '../run-dir/atomic.js';
import type { Manifest, StageRecord } from '../run-dir/run-dir.js';
import type { TrainedModel } from '../run-dir/trained-model.js';
import { RunState } from '../run-state/run-state.js';
import { StructureCosting } from '../structure/cost-of.js';
import { structureFile, structureOfFile, type ExpandedStructure, type StructureCost, type StructureFile, type UniformStructure } from '../structure/structure-file.js';
import { uniformStructure } from '../structure/uniform-baseline.js';
import { MetricsLog, type MetricsRead } from '../train/metrics-log.js';

export interface StageCost {
  flops: number;
  params: number;
  latency?: number;
}

export interface ReportLayer {
  name: string;
  className: string;
  seed: number;
  shrunk?: number;
  expanded?: number;
  seedFlopsShare: number;
  expandedFlopsShare?: number;
}

export interface ReportStage {
  name: 'seed' | 'shrink' | 'expand' | 'retrain' | 'baseline';
  /** run.json's status: complete, or for a stage that did not finish failed, interrupted or running (killed, or still running). */
  status: string;
  /** For a stage that did not finish: the cost of the architecture it was training. */
  cost: StageCost;
  valAccuracy?: number;
  testAccuracy?: number;
  multiplier?: number;
  /** shrink with shrink.goal: the goal as given and the lambda the steering ended at. */
  goal?: { text: string; finalLambda: number };
  /** Why a failed or interrupted stage stopped, as run.json records it. */
  error?: string;
}

/** What report tells the user besides the report; the CLI decides how to show it. */
export interface ReportEvents {
  backend?(choice: BackendChoice): void;
}

/** Everything `morphnet report` shows; report.json holds exactly this. */
export interface Report {
  format: 'morphnet.report/1';
  runDir: string;
  model: string;
  backend?: string;
  hardware?: string;
  stages: ReportStage[];
  layers: ReportLayer[];
  /** MorphNet against the uniform baseline at the same budget, when both were trained. */
  comparison?: { morphnetAccuracy: number; baselineAccuracy: number; metric: 'test' | 'validation'; flops: { morphnet: number; baseline: number } };
  /** Shrink curves for charts: step, loss, cost, alive channels. */
  shrinkCurve: Array<{ step: number; loss: number; taskLoss: number; cost: number; alive: number }>;
  /** What the reader should know about the inputs (a torn metrics line that was skipped); absent when none. */
  warnings?: string[];
}

const readJson = <T>(path: string): T | undefined => (existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as T) : undefined);

/**
 * An accuracy that was measured, or undefined: a run without a validation set stored none
 * (older versions stored NaN, which JSON turned into null).
 */
const measured = (accuracy: number | null | undefined): number | undefined => (typeof accuracy === 'number' && Number.isFinite(accuracy) ? accuracy : undefined);

type Accuracies = { valAccuracy?: number | null; testAccuracy?: number | null };

/** The accuracy MorphNet and the baseline are compared on: test when both have it, else validation when both have it. */
function comparedAccuracy(retrain: Accuracies, baseline: Accuracies): { metric: 'test' | 'validation'; morphnet: number; baseline: number } | undefined {
  const test = [measured(retrain.testAccuracy), measured(baseline.testAccuracy)];
  if (test[0] !== undefined && test[1] !== undefined) return { metric: 'test', morphnet: test[0], baseline: test[1] };
  const validation = [measured(retrain.valAccuracy), measured(baseline.valAccuracy)];
  if (validation[0] !== undefined && validation[1] !== undefined) return { metric: 'validation', morphnet: validation[0], baseline: validation[1] };
  return undefined;
}

function shrinkCurve(records: Array<Record<string, unknown>>): Report['shrinkCurve'] {
  return records
    .filter((m) => m.loss !== undefined)
    .map((m) => ({
      step: m.step as number,
      loss: m.loss as number,
      taskLoss: m.taskLoss as number,
      cost: m.cost as number,
      alive: Object.values((m.alive ?? {}) as Record<string, number>).reduce((a, b) => a + b, 0),
    }));
}

/** The accuracies that were measured, as fields; unmeasured ones are left out rather than stored as null. */
function optionalAccuracies(source: Accuracies): Pick<ReportStage, 'valAccuracy' | 'testAccuracy'> {
  const valAccuracy = measured(source.valAccuracy);
  const testAccuracy = measured(source.testAccuracy);
  return { ...(valAccuracy !== undefined ? { valAccuracy } : {}), ...(testAccuracy !== undefined ? { testAccuracy } : {}) };
}

/** A stage's cost as the report shows it; latency only when the report has hardware. */
function stageCost(cost: StructureCost, hardware: string | undefined): StageCost {
  return { flops: cost.flops, params: cost.params, ...(hardware && cost.latency !== undefined ? { latency: cost.latency } : {}) };
}

/** A trained stage that did not finish (failed, interrupted, or killed while running): its status and why, costed as planned. */
function unfinishedStage(name: 'retrain' | 'baseline', record: StageRecord, cost: StageCost, multiplier: number): ReportStage {
  return { name, status: record.status, cost, multiplier, ...(record.error ? { error: record.error } : {}) };
}

/** Everything a report is made of, as the run dir's files hold it. */
export interface ReportInputs {
  runDir: string;
  manifest: Manifest;
  config: MorphnetConfig;
  /** The hardware the report's latencies are for (expand's, else shrink's), by its resolved name. */
  hardware?: string;
  shrink?: StructureFile;
  expand?: ExpandedStructure;
  /** baseline/structure.json: the uniform baseline retrain planned. */
  baselinePlan?: UniformStructure;
  shrinkResult?: { valAccuracy?: number | null; strength?: number; goal?: { text: string; cost: number } };
  retrain?: TrainedModel;
  baseline?: TrainedModel;
  metrics: MetricsRead;
}


/** Reads what the stages wrote; files only (no model, no tfjs). */
export function readReportInputs(state: RunState): ReportInputs {
  const paths = state.paths;
  return {
    runDir: state.root,
    manifest: state.manifest,
    config: state.config,
    ...(state.hardware ? { hardware: state.hardware.name } : {}),
    ...(existsSync(paths.shrinkStructure) ? { shrink: state.shrunkFile() } : {}),
    ...(existsSync(paths.expandStructure) ? { expand: state.expandedFile() } : {}),
    ...(existsSync(paths.stageStructure('baseline')) ? { baselinePlan: readJson<UniformStructure>(paths.stageStructure('baseline')) } : {}),
    shrinkResult: readJson(paths.stageResult('shrink')),
    retrain: readJson<TrainedModel>(paths.stageResult('retrain')),
    baseline: readJson<TrainedModel>(paths.stageResult('baseline')),
    metrics: new MetricsLog(paths.shrinkMetrics).read(),
  };
}

/** A structure file the report can use as it is: per-layer costs and the seed's cost in it, for the report's hardware. */
const isComplete = (file: StructureFile | undefined, hardware: string | undefined) => !file || (file.layers !== undefined && file.seedCost !== undefined && file.hardware === hardware);

/** Whether the report needs the uniform baseline's planned cost: its latency, or the cost of an unfinished baseline. */
function needsBaselinePlan(inputs: ReportInputs): boolean {
  if (!inputs.expand) return false;
  const record = inputs.manifest.stages.baseline;
  return inputs.baseline ? inputs.hardware !== undefined : record !== undefined && record.status !== 'complete';
}

/** Whether the files lack costs that only the seed model can give (run dirs written before structure files carried them). */
export function needsSeed(inputs: ReportInputs): boolean {
  return !isComplete(inputs.shrink, inputs.hardware) || !isComplete(inputs.expand, inputs.hardware) || (needsBaselinePlan(inputs) && !isComplete(inputs.baselinePlan, inputs.hardware));
}

/** For an older run dir: the structure files' costs computed from the seed model, their widths as written. */
export function costedFromSeed(inputs: ReportInputs, costing: StructureCosting): ReportInputs {
  const recost = <T extends StructureFile>(file: T): T => {
    const { cost, hardware, seedCost, layers } = structureFile(costing, structureOfFile(file), file);
    return { ...file, cost, seedCost, layers, ...(hardware ? { hardware } : { hardware: undefined }) };
  };
  const plan = (expand: ExpandedStructure): UniformStructure => {
    const { structure, multiplier } = uniformStructure(costing, expand);
    return { ...structureFile(costing, structure, expand), multiplier };
  };
  return {
    ...inputs,
    ...(inputs.shrink ? { shrink: recost(inputs.shrink) } : {}),
    ...(inputs.expand ? { expand: recost(inputs.expand) } : {}),
    ...(needsBaselinePlan(inputs) ? { baselinePlan: inputs.baselinePlan && isComplete(inputs.baselinePlan, inputs.hardware) ? inputs.baselinePlan : plan(inputs.expand!) } : {}),
  };
}

/** Widths and FLOPs shares of every channel-owning layer, from the structure files. */
function reportLayers(seedFile: StructureFile, shrink: StructureFile | undefined, expand: ExpandedStructure | undefined): ReportLayer[] {
  const expandedFlops = new Map((expand?.layers ?? []).map((layer) => [layer.name, layer.flops]));
  return seedFile.layers!.map((layer) => ({
    name: layer.name,
    className: layer.className,
    seed: layer.original,
    ...(shrink ? { shrunk: shrink.widths[layer.name] } : {}),
    ...(expand ? { expanded: expand.widths[layer.name] } : {}),
    seedFlopsShare: layer.seedFlops / seedFile.seedCost!.flops,
    ...(expand ? { expandedFlopsShare: (expandedFlops.get(layer.name) ?? 0) / expand.cost.flops } : {}),
  }));
}

/** The trained stages: as trained (FLOPs and params counted on the model), or as planned when they did not finish. */
function trainedStages(inputs: ReportInputs): ReportStage[] {
  const { expand, hardware, manifest } = inputs;
  return (['retrain', 'baseline'] as const).flatMap((name): ReportStage[] => {
    const trained = inputs[name];
    const planned = () => (name === 'retrain' ? expand! : inputs.baselinePlan!);
    const status = manifest.stages[name]?.status ?? 'not run';
    if (trained) {
      // FLOPs and params as counted on the trained model; the roofline latency of its architecture.
      const latency = hardware && expand ? planned().cost.latency : undefined;
      const cost = { flops: trained.cost.flops, params: trained.cost.params, ...(latency !== undefined ? { latency } : {}) };
      return [{ name, status, cost, ...optionalAccuracies(trained), multiplier: trained.multiplier }];
    }
    // A trained stage that started but did not finish has no result.json; run.json says what happened to it.
    const record = manifest.stages[name];
    if (!record || record.status === 'complete' || !expand) return [];
    return [unfinishedStage(name, record, stageCost(planned().cost, hardware), planned().multiplier)];
  });
}

/** A goal-seeking shrink's goal and final lambda, for the report (nothing for a fixed strength). */
const shrinkGoal = (result: ReportInputs['shrinkResult']) => (result?.goal && result.strength !== undefined ? { goal: { text: result.goal.text, finalLambda: result.strength } } : {});

/** The report from what the stages wrote: pure, no files, no model. */
export function assembleReport(inputs: ReportInputs): Report {
  const { shrink, expand, hardware, manifest, config, retrain, baseline } = inputs;
  const seedFile = shrink ?? expand;
  if (!seedFile?.layers || !seedFile.seedCost) throw new Error(`${inputs.runDir}: the structure files carry no per-layer costs; cost them from the seed first (costedFromSeed)`);
  const status = (stage: keyof Manifest['stages']) => manifest.stages[stage]?.status ?? 'not run';
  const stages: ReportStage[] = [
    { name: 'seed', status: 'complete', cost: stageCost(seedFile.seedCost, hardware) },
    ...(shrink ? [{ name: 'shrink' as const, status: status('shrink'), cost: stageCost(shrink.cost, hardware), ...optionalAccuracies({ valAccuracy: inputs.shrinkResult?.valAccuracy }), ...shrinkGoal(inputs.shrinkResult) }] : []),
    ...(expand ? [{ name: 'expand' as const, status: status('expand'), cost: stageCost(expand.cost, hardware), multiplier: expand.multiplier }] : []),
    ...trainedStages(inputs),
  ];
  const compared = retrain && baseline ? comparedAccuracy(retrain, baseline) : undefined;
  return {
    format: 'morphnet.report/1',
    runDir: inputs.runDir,
    model: shrink?.model ?? String(config.model.zoo ?? config.model.path),
    backend: manifest.backend?.name,
    ...(hardware ? { hardware } : {}),
    stages,
    layers: reportLayers(seedFile, shrink, expand),
    ...(compared
      ? {
          comparison: {
            morphnetAccuracy: compared.morphnet,
            baselineAccuracy: compared.baseline,
            metric: compared.metric,
            flops: { morphnet: retrain!.cost.flops, baseline: baseline!.cost.flops },
          },
        }
      : {}),
    shrinkCurve: shrinkCurve(inputs.metrics.records),
    ...(inputs.metrics.warnings.length ? { warnings: inputs.metrics.warnings } : {}),
  };
}

/**
 * `morphnet report`: reads what the stages wrote (and run.json says of stages that did not
 * finish), assembles the report and writes report.json. A run dir whose structure files carry
 * their costs needs no model and no tfjs backend; an older one is costed from its seed model.
 */
export async function reportStage(runDir: string, events: ReportEvents = {}): Promise<Report> {
  const state = RunState.open(runDir, 'shrink');
  let inputs = readReportInputs(state);
  if (needsSeed(inputs)) {
    const seed = await state.seed(events.backend);
    inputs = costedFromSeed(inputs, new StructureCosting(seed.analysis, { hardware: state.hardware }));
  }
  const report = assembleReport(inputs);
  writeJsonAtomic(state.paths.reportJson, report);
  return report;
}

import { existsSync, readFileSync } from 'node:fs';
import type { BackendChoice } from '../backend/select.js';
import type { MorphnetConfig } from '../config/schema.js';
import { readInferenceLatency, type InferenceLatencyFile, type LatencyMeasurement, type LatencyPrediction, type PredictedMeasurement, type TimedModel } from '../latency/inference-latency-file.js';
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
  /** seed, retrain, baseline: whole-model inference timed after retrain trained (`<model>/latency.json`), at batch 1 and the training batch. */
  measuredLatency?: { batch1: LatencyMeasurement; trainingBatch: LatencyMeasurement };
  /** What a measured table of the config predicts for the same, where one was measured on that backend, threads and batch. */
  predictedLatency?: { batch1?: LatencyPrediction; trainingBatch?: LatencyPrediction };
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
  /** `<model>/latency.json` of the models that were timed, and what was wrong with unreadable ones. */
  latency?: { files: Partial<Record<TimedModel, InferenceLatencyFile>>; warnings: string[] };
}


/** The latency files of the seed, retrain and baseline that exist, and a warning for each that cannot be read. */
function readLatencyFiles(runDir: string): NonNullable<ReportInputs['latency']> {
  const read = (['seed', 'retrain', 'baseline'] as const).map((model) => ({ model, ...readInferenceLatency(runDir, model) }));
  return {
    files: Object.fromEntries(read.flatMap(({ model, file }) => (file ? [[model, file]] : []))),
    warnings: read.flatMap(({ warning }) => (warning ? [warning] : [])),
  };
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
    latency: readLatencyFiles(state.root),
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

const withoutPrediction = ({ predicted: _predicted, ...measurement }: PredictedMeasurement): LatencyMeasurement => measurement;

/** A timed model's measured inference latency and, where a table predicted it, the prediction. */
function latencyFields(file: InferenceLatencyFile | undefined): Pick<ReportStage, 'measuredLatency' | 'predictedLatency'> {
  if (!file) return {};
  const { batch1, trainingBatch } = file;
  const predictedLatency = { ...(batch1.predicted ? { batch1: batch1.predicted } : {}), ...(trainingBatch.predicted ? { trainingBatch: trainingBatch.predicted } : {}) };
  return {
    measuredLatency: { batch1: withoutPrediction(batch1), trainingBatch: withoutPrediction(trainingBatch) },
    ...(Object.keys(predictedLatency).length > 0 ? { predictedLatency } : {}),
  };
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
      return [{ name, status, cost, ...optionalAccuracies(trained), multiplier: trained.multiplier, ...latencyFields(inputs.latency?.files[name]) }];
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
    { name: 'seed', status: 'complete', cost: stageCost(seedFile.seedCost, hardware), ...latencyFields(inputs.latency?.files.seed) },
    ...(shrink ? [{ name: 'shrink' as const, status: status('shrink'), cost: stageCost(shrink.cost, hardware), ...optionalAccuracies({ valAccuracy: inputs.shrinkResult?.valAccuracy }), ...shrinkGoal(inputs.shrinkResult) }] : []),
    ...(expand ? [{ name: 'expand' as const, status: status('expand'), cost: stageCost(expand.cost, hardware), multiplier: expand.multiplier }] : []),
    ...trainedStages(inputs),
  ];
  const compared = retrain && baseline ? comparedAccuracy(retrain, baseline) : undefined;
  const warnings = [...inputs.metrics.warnings, ...(inputs.latency?.warnings ?? [])];
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
    ...(warnings.length ? { warnings } : {}),
  };
}

// ---------------------------------------------------------------- latency, as the renderers show it

/** Milliseconds to 3 significant digits: `0.412 ms`, `12.3 ms`, `1230 ms`. */
export const formatMs = (ms: number) => `${Number(ms.toPrecision(3))} ms`;

/** `wasm 2 threads`, `tensorflow`: where a measurement was taken. */
export const describeBackend = (m: Pick<LatencyMeasurement, 'backend' | 'threads'>) => (m.threads ? `${m.backend} ${m.threads} thread${m.threads === 1 ? '' : 's'}` : m.backend);

/** A latency column of the stage table: its heading, each stage's ms and share of the seed's, and where that figure comes from (a tooltip). */
export interface LatencyColumn {
  label: string;
  msOf(stage: ReportStage): number | undefined;
  /** A trained model timed in pairs with the seed: its share of the seed's time, measured or predicted. */
  shareOf(stage: ReportStage): number | undefined;
  sourceOf(stage: ReportStage): string | undefined;
}

/** A share of the seed's time: `52%`. */
export const formatShare = (share: number) => `${(100 * share).toFixed(0)}%`;

/** A latency cell's text: `0.412 ms`, with the share of the seed's time where there is one (`0.412 ms (52%)`); blank without a figure. */
export function latencyCellText(column: LatencyColumn, stage: ReportStage): string {
  const ms = column.msOf(stage);
  if (ms === undefined) return '';
  const share = column.shareOf(stage);
  return share === undefined ? formatMs(ms) : `${formatMs(ms)} (${formatShare(share)})`;
}

type BatchKey = 'batch1' | 'trainingBatch';

const describeShare = ({ ofSeed }: LatencyMeasurement) =>
  ofSeed ? `; timed in ${ofSeed.pairs} pairs with the seed (${formatMs(ofSeed.seedMedianMs)}): ${formatShare(ofSeed.median)} of its time, quartiles ${formatShare(ofSeed.p25)} to ${formatShare(ofSeed.p75)}` : '';

const describeMeasurement = (m: LatencyMeasurement) =>
  `median of ${m.repeats} samples on ${describeBackend(m)}, batch ${m.batch}; quartiles ${formatMs(m.p25Ms)} to ${formatMs(m.p75Ms)}${describeShare(m)}; measured ${m.measuredAt}`;

/** A stage's measured and predicted columns at one batch; a stage timed at another batch has none there. */
function batchColumns(report: Report, key: BatchKey, batch: number): LatencyColumn[] {
  const measured = (stage: ReportStage) => (stage.measuredLatency?.[key].batch === batch ? stage.measuredLatency[key] : undefined);
  const predicted = (stage: ReportStage) => (measured(stage) ? stage.predictedLatency?.[key] : undefined);
  const measuredColumn: LatencyColumn = {
    label: `latency b${batch}`,
    msOf: (stage) => measured(stage)?.medianMs,
    shareOf: (stage) => measured(stage)?.ofSeed?.median,
    sourceOf: (stage) => {
      const m = measured(stage);
      return m && describeMeasurement(m);
    },
  };
  const predictedColumn: LatencyColumn = {
    label: `predicted b${batch}`,
    msOf: (stage) => predicted(stage)?.ms,
    // Beside a measured share only: the seed's own is 100% by definition.
    shareOf: (stage) => (measured(stage)?.ofSeed ? predicted(stage)?.ofSeed : undefined),
    sourceOf: (stage) => {
      const p = predicted(stage);
      return p && `predicted by hardware ${p.hardware}: ${p.table}${p.ofSeed !== undefined ? `; ${formatShare(p.ofSeed)} of its prediction for the seed` : ''}`;
    },
  };
  return [measuredColumn, ...(report.stages.some(predicted) ? [predictedColumn] : [])];
}

/**
 * The stage table's latency columns, only when some stage was timed: per batch (1, then the
 * training batch when it is another), the measured median and, when some stage has one, the
 * table's prediction beside it.
 */
export function latencyColumns(report: Report): LatencyColumn[] {
  const timed = report.stages.find((stage) => stage.measuredLatency)?.measuredLatency;
  if (!timed) return [];
  const trainingBatch = timed.trainingBatch.batch;
  return [...batchColumns(report, 'batch1', 1), ...(trainingBatch !== 1 ? batchColumns(report, 'trainingBatch', trainingBatch) : [])];
}

/** MorphNet against the uniform baseline in measured inference time at batch 1. */
export interface LatencyComparison {
  morphnetMs: number;
  baselineMs: number;
  /** Both timed in pairs with the seed: each one's share of the seed's time, which the machine's drift does not move. */
  shareOfSeed?: { morphnet: number; baseline: number };
  batch: number;
  on: string;
}

/** MorphNet against the uniform baseline in measured inference time at batch 1, when both were timed on the same backend and threads. */
export function latencyComparison(report: Report): LatencyComparison | undefined {
  const [morphnet, baseline] = (['retrain', 'baseline'] as const).map((name) => report.stages.find((stage) => stage.name === name)?.measuredLatency?.batch1);
  if (!morphnet || !baseline || describeBackend(morphnet) !== describeBackend(baseline)) return undefined;
  const shareOfSeed = morphnet.ofSeed && baseline.ofSeed ? { morphnet: morphnet.ofSeed.median, baseline: baseline.ofSeed.median } : undefined;
  return { morphnetMs: morphnet.medianMs, baselineMs: baseline.medianMs, ...(shareOfSeed ? { shareOfSeed } : {}), batch: morphnet.batch, on: describeBackend(morphnet) };
}

/** `; timed in pairs with the seed: 52% vs 57% of its time`, when both were. */
export const comparedShares = (timed: LatencyComparison) =>
  timed.shareOfSeed ? `; timed in pairs with the seed: ${formatShare(timed.shareOfSeed.morphnet)} vs ${formatShare(timed.shareOfSeed.baseline)} of its time` : '';

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

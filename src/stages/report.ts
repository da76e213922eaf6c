import { existsSync, readFileSync } from 'node:fs';
import type { BackendChoice } from '../backend/select.js';
import type { MorphnetConfig } from '../config/schema.js';
import { CostModel, type LayerCost } from '../cost/cost-model.js';
import { resolveHardware } from '../cost/hardware.js';
import { handlerFor } from '../graph/handlers/registry.js';
import { writeJsonAtomic } from '../run-dir/atomic.js';
import { readManifest, requireStage, runDirLayout, type Manifest, type StageRecord } from '../run-dir/run-dir.js';
import type { StructureFile } from '../structure/structure-file.js';
import { structureTopology } from '../structure/topology.js';
import { aliveForWidths } from '../structure/width-multiplier.js';
import { MetricsLog } from '../train/metrics-log.js';
import { loadRunSeed, type ExpandedStructure } from './expand.js';
import { uniformWidths, type TrainedModel } from './retrain.js';

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

function stageCost(layers: LayerCost[]): StageCost {
  const sum = (key: 'flops' | 'params' | 'latency') => layers.reduce((s, l) => s + (l[key] ?? 0), 0);
  return { flops: sum('flops'), params: sum('params'), ...(layers.some((l) => l.latency !== undefined) ? { latency: sum('latency') } : {}) };
}

/** A trained stage that did not finish (failed, interrupted, or killed while running): its status and why, costed as planned. */
function unfinishedStage(name: 'retrain' | 'baseline', record: StageRecord, cost: StageCost, multiplier: number): ReportStage {
  return { name, status: record.status, cost, multiplier, ...(record.error ? { error: record.error } : {}) };
}

/** Builds the report of a run dir from what its stages wrote (and run.json says of stages that did not finish); writes report.json. */
export async function reportStage(runDir: string, events: ReportEvents = {}): Promise<Report> {
  const manifest: Manifest = requireStage(runDir, 'shrink');
  const config = manifest.config as MorphnetConfig;
  const paths = runDirLayout(runDir);
  const { analysis } = await loadRunSeed(runDir, config, events.backend);
  const costModel = new CostModel(analysis);
  const owners = analysis.graph.nodes.filter((n) => handlerFor(n.className)?.ownsChannels);

  // The config's hardware (expand's, else shrink's) puts a roofline latency on every stage's cost.
  const hardwareName = config.expand.hardware ?? config.shrink.hardware ?? undefined;
  const hardware = hardwareName ? resolveHardware(hardwareName, config.hardware) : undefined;
  const costOf = (widths: number[]) => {
    const topology = structureTopology(analysis, widths);
    return costModel.evaluate(aliveForWidths(analysis, topology.widths), { excludedLayers: topology.excluded, hardware }).layers;
  };
  const seedLayers = costModel.evaluate(costModel.allAlive(), { hardware }).layers;
  const shrink = readJson<StructureFile>(paths.shrinkStructure);
  const expand = readJson<ExpandedStructure>(paths.expandStructure);
  const shrinkLayers = shrink ? costOf(shrink.groups.map((g) => g.width)) : undefined;
  const expandLayers = expand ? costOf(expand.groups.map((g) => g.width)) : undefined;
  const total = (layers: LayerCost[]) => layers.reduce((s, l) => s + l.flops, 0);
  const flopsOf = (layers: LayerCost[] | undefined, name: string) => layers?.find((l) => l.name === name)?.flops ?? 0;

  const layers: ReportLayer[] = owners.map((node) => ({
    name: node.id,
    className: node.className,
    seed: Number(node.outputShape.at(-1)),
    ...(shrink ? { shrunk: shrink.widths[node.id] } : {}),
    ...(expand ? { expanded: expand.widths[node.id] } : {}),
    seedFlopsShare: flopsOf(seedLayers, node.id) / total(seedLayers),
    ...(expandLayers ? { expandedFlopsShare: flopsOf(expandLayers, node.id) / total(expandLayers) } : {}),
  }));

  const shrinkResult = readJson<{ valAccuracy?: number | null }>(paths.stageResult('shrink'));
  const retrain = readJson<TrainedModel>(paths.stageResult('retrain'));
  const baseline = readJson<TrainedModel>(paths.stageResult('baseline'));
  const status = (stage: keyof Manifest['stages']) => manifest.stages[stage]?.status ?? 'not run';
  const stages: ReportStage[] = [
    { name: 'seed', status: 'complete', cost: stageCost(seedLayers) },
    ...(shrinkLayers ? [{ name: 'shrink' as const, status: status('shrink'), cost: stageCost(shrinkLayers), ...optionalAccuracies({ valAccuracy: shrinkResult?.valAccuracy }) }] : []),
    ...(expandLayers ? [{ name: 'expand' as const, status: status('expand'), cost: stageCost(expandLayers), multiplier: expand!.multiplier }] : []),
    ...(['retrain', 'baseline'] as const).flatMap((name): ReportStage[] => {
      const trained = name === 'retrain' ? retrain : baseline;
      const planned = () => (name === 'retrain' ? { widths: expand!.groups.map((g) => g.width), multiplier: expand!.multiplier } : uniformWidths(analysis, expand!));
      if (trained) {
        // FLOPs and params as counted on the trained model; the roofline latency of its architecture.
        const latency = hardware && expand ? stageCost(costOf(planned().widths)).latency : undefined;
        const cost = { flops: trained.cost.flops, params: trained.cost.params, ...(latency !== undefined ? { latency } : {}) };
        return [{ name, status: status(name), cost, ...optionalAccuracies(trained), multiplier: trained.multiplier }];
      }
      // A trained stage that started but did not finish has no result.json; run.json says what happened to it.
      const record = manifest.stages[name];
      if (!record || record.status === 'complete' || !expand) return [];
      return [unfinishedStage(name, record, stageCost(costOf(planned().widths)), planned().multiplier)];
    }),
  ];
  const compared = retrain && baseline ? comparedAccuracy(retrain, baseline) : undefined;
  const metrics = new MetricsLog(paths.shrinkMetrics).read();
  const report: Report = {
    format: 'morphnet.report/1',
    runDir,
    model: shrink?.model ?? String(config.model.zoo ?? config.model.path),
    backend: readManifest(runDir).backend?.name,
    ...(hardware ? { hardware: hardware.name } : {}),
    stages,
    layers,
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
    shrinkCurve: shrinkCurve(metrics.records),
    ...(metrics.warnings.length ? { warnings: metrics.warnings } : {}),
  };
  writeJsonAtomic(paths.reportJson, report);
  return report;
}

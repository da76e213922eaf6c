import { existsSync, readFileSync } from 'node:fs';
import type { MorphnetConfig } from '../config/schema.js';
import { CostModel, type LayerCost } from '../cost/cost-model.js';
import { handlerFor } from '../graph/handlers/registry.js';
import { writeJsonAtomic } from '../run-dir/atomic.js';
import { readManifest, requireStage, runDirLayout, type Manifest } from '../run-dir/run-dir.js';
import type { StructureFile } from '../structure/structure-file.js';
import { structureTopology } from '../structure/topology.js';
import { aliveForWidths } from '../structure/width-multiplier.js';
import { MetricsLog } from '../train/metrics-log.js';
import { loadRunSeed } from './expand.js';
import type { TrainedModel } from './retrain.js';

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
  status: string;
  cost: StageCost;
  valAccuracy?: number;
  testAccuracy?: number;
  multiplier?: number;
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
}

const readJson = <T>(path: string): T | undefined => (existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as T) : undefined);

function stageCost(layers: LayerCost[]): StageCost {
  const sum = (key: 'flops' | 'params' | 'latency') => layers.reduce((s, l) => s + (l[key] ?? 0), 0);
  return { flops: sum('flops'), params: sum('params'), ...(layers.some((l) => l.latency !== undefined) ? { latency: sum('latency') } : {}) };
}

/** Builds the report of a run dir from what its stages wrote; writes report.json. */
export async function reportStage(runDir: string): Promise<Report> {
  const manifest: Manifest = requireStage(runDir, 'shrink', `run morphnet shrink -r ${runDir} first`);
  const config = manifest.config as MorphnetConfig;
  const paths = runDirLayout(runDir);
  const { analysis } = await loadRunSeed(runDir, config);
  const costModel = new CostModel(analysis);
  const owners = analysis.graph.nodes.filter((n) => handlerFor(n.className)?.ownsChannels);

  const costOf = (widths: number[]) => {
    const topology = structureTopology(analysis, widths);
    return costModel.evaluate(aliveForWidths(analysis, topology.widths), { excludedLayers: topology.excluded }).layers;
  };
  const seedLayers = costModel.evaluate().layers;
  const shrink = readJson<StructureFile>(paths.shrinkStructure);
  const expand = readJson<StructureFile & { multiplier: number }>(paths.expandStructure);
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

  const shrinkResult = readJson<{ valAccuracy: number }>(paths.stageResult('shrink'));
  const retrain = readJson<TrainedModel>(paths.stageResult('retrain'));
  const baseline = readJson<TrainedModel>(paths.stageResult('baseline'));
  const status = (stage: keyof Manifest['stages']) => manifest.stages[stage]?.status ?? 'not run';
  const stages: ReportStage[] = [
    { name: 'seed', status: 'complete', cost: stageCost(seedLayers) },
    ...(shrinkLayers ? [{ name: 'shrink' as const, status: status('shrink'), cost: stageCost(shrinkLayers), valAccuracy: shrinkResult?.valAccuracy }] : []),
    ...(expandLayers ? [{ name: 'expand' as const, status: status('expand'), cost: stageCost(expandLayers), multiplier: expand!.multiplier }] : []),
    ...[retrain, baseline]
      .filter((m): m is TrainedModel => m !== undefined)
      .map((m) => ({ name: m.stage as 'retrain' | 'baseline', status: status(m.stage), cost: { flops: m.cost.flops, params: m.cost.params }, valAccuracy: m.valAccuracy, testAccuracy: m.testAccuracy, multiplier: m.multiplier })),
  ];
  const metric = retrain?.testAccuracy !== undefined && baseline?.testAccuracy !== undefined ? 'test' : 'validation';
  const report: Report = {
    format: 'morphnet.report/1',
    runDir,
    model: shrink?.model ?? String(config.model.zoo ?? config.model.path),
    backend: readManifest(runDir).backend?.name,
    stages,
    layers,
    ...(retrain && baseline
      ? {
          comparison: {
            morphnetAccuracy: metric === 'test' ? retrain.testAccuracy! : retrain.valAccuracy,
            baselineAccuracy: metric === 'test' ? baseline.testAccuracy! : baseline.valAccuracy,
            metric,
            flops: { morphnet: retrain.cost.flops, baseline: baseline.cost.flops },
          },
        }
      : {}),
    shrinkCurve: new MetricsLog(paths.shrinkMetrics)
      .read()
      .filter((m) => m.loss !== undefined)
      .map((m) => ({
        step: m.step as number,
        loss: m.loss as number,
        taskLoss: m.taskLoss as number,
        cost: m.cost as number,
        alive: Object.values((m.alive ?? {}) as Record<string, number>).reduce((a, b) => a + b, 0),
      })),
  };
  writeJsonAtomic(paths.reportJson, report);
  return report;
}

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendRequest } from '../src/backend/select.js';
import { CostModel } from '../src/cost/cost-model.js';
import type { TableHardware } from '../src/cost/hardware.js';
import { measuredOn, type LatencyTable } from '../src/cost/latency-table.js';
import { seededRandom } from '../src/data/random.js';
import { analyzeChannels, type ChannelAnalysis } from '../src/graph/channel-groups.js';
import { buildLayerGraph } from '../src/graph/build-graph.js';
import { measureLatencyTable, timeModel } from '../src/latency/measure-model.js';
import { DEFAULT_PROTOCOL, type TimingProtocol } from '../src/latency/timing.js';
import { buildZooModel, parseZooSpec } from '../src/model/zoo/registry.js';
import { aliveForWidths, type GroupWidths } from '../src/structure/width-multiplier.js';
import { rebuildModel } from '../src/surgery/rebuild.js';

/** The issue's models: the MNIST CNN, CIFAR ResNet-20, MobileNetV2 at width 0.35 (224x224, 1000 classes). */
export const LATENCY_BENCH_MODELS = ['cnn', 'resnet20', 'mobilenet-v2?width=0.35'];

export interface LatencyBenchOptions {
  models: string[];
  backend: BackendRequest;
  threads: number;
  batch: number;
  widthSamples: number;
  protocol: TimingProtocol;
  /** Where the measured tables are written (one per model). */
  outDir?: string;
}

export interface LatencyBenchCase {
  model: string;
  structure: string;
  predictedMs: number;
  measuredMs: number;
  measuredIqrMs: number;
  /** (predicted - measured) / measured. */
  error: number;
}

export interface LatencyBenchResult {
  backend: string;
  threads?: number;
  batch: number;
  tables: Array<{ model: string; seconds: number; wholeMs: number; overheadMs: number; path?: string }>;
  cases: LatencyBenchCase[];
}

/** Structures to predict and measure: the seed, every prunable group at 50%, random fractions in [0.25, 1] and in [0.5, 1.5] (like an expanded shrink). */
function benchStructures(analysis: ChannelAnalysis): Array<{ name: string; widths: GroupWidths }> {
  const scaled = (fraction: (g: number) => number) => analysis.groups.map((group) => (group.fixed ? group.width : Math.max(1, Math.round(group.width * fraction(group.id)))));
  const narrow = seededRandom(1);
  const wide = seededRandom(2);
  return [
    { name: 'seed', widths: scaled(() => 1) },
    { name: 'uniform 50%', widths: scaled(() => 0.5) },
    { name: 'random 25-100%', widths: scaled(() => 0.25 + 0.75 * narrow()) },
    { name: 'random 50-150%', widths: scaled(() => 0.5 + wide()) },
  ];
}

async function benchModel(spec: string, options: LatencyBenchOptions, backend: string, threads: number | undefined, result: LatencyBenchResult): Promise<void> {
  const { name, options: zooOptions } = parseZooSpec(spec);
  const seed: tf.LayersModel = buildZooModel(name, zooOptions);
  const analysis = analyzeChannels(buildLayerGraph(seed));
  const started = performance.now();
  const table: LatencyTable = measureLatencyTable(seed, analysis, { modelName: `zoo:${spec}`, backend, threads, batch: options.batch, widthSamples: options.widthSamples, protocol: options.protocol });
  const seconds = (performance.now() - started) / 1000;
  let path: string | undefined;
  if (options.outDir) {
    mkdirSync(options.outDir, { recursive: true });
    path = join(options.outDir, `${spec.replace(/[^\w.-]+/g, '_')}-${backend}${threads ? `-${threads}t` : ''}.json`);
    writeFileSync(path, `${JSON.stringify(table, null, 2)}\n`);
  }
  result.tables.push({ model: spec, seconds, wholeMs: table.whole.medianMs, overheadMs: table.overheadMs, path });
  const hardware: TableHardware = { name: 'bench', path: path ?? '(in memory)', table };
  const costModel = new CostModel(analysis);
  for (const structure of benchStructures(analysis)) {
    const predictedMs = costModel.resource('latency', aliveForWidths(analysis, structure.widths), { hardware, batchSize: options.batch });
    const model = structure.name === 'seed' ? seed : await rebuildModel(seed, analysis, structure.widths, 1);
    const measured = timeModel(model, options.batch, options.protocol);
    if (model !== seed) model.dispose();
    result.cases.push({ model: spec, structure: structure.name, predictedMs, measuredMs: measured.medianMs, measuredIqrMs: measured.iqrMs, error: (predictedMs - measured.medianMs) / measured.medianMs });
  }
  seed.dispose();
}

/**
 * For each model: measures a latency table, then predicts each bench structure's whole-model
 * latency from it and measures the structure's own inference, on the same backend.
 */
export async function benchLatency(options: LatencyBenchOptions): Promise<LatencyBenchResult> {
  const choice = await initBackend(options.backend, options.threads);
  const result: LatencyBenchResult = { backend: choice.name, threads: choice.threads, batch: options.batch, tables: [], cases: [] };
  for (const spec of options.models) await benchModel(spec, options, choice.name, choice.threads, result);
  return result;
}

export const DEFAULT_LATENCY_BENCH = { backend: 'wasm' as BackendRequest, threads: 2, batch: 1, widthSamples: 5, protocol: DEFAULT_PROTOCOL };

/** The bench's table: one line per model's table, then predicted vs measured per structure. */
export function printLatencyBench(result: LatencyBenchResult): void {
  console.log(`whole-model inference latency on ${measuredOn(result)}: predicted from the measured table vs measured (median, IQR)`);
  for (const t of result.tables) console.log(`  table of ${t.model}: measured in ${t.seconds.toFixed(0)} s, whole model ${t.wholeMs.toFixed(2)} ms, overhead ${t.overheadMs.toFixed(2)} ms${t.path ? ` (${t.path})` : ''}`);
  console.log(`  ${'model'.padEnd(24)} ${'structure'.padEnd(15)} ${'predicted ms'.padStart(12)} ${'measured ms'.padStart(12)} ${'IQR'.padStart(7)} ${'error'.padStart(7)}`);
  for (const c of result.cases) {
    console.log(`  ${c.model.padEnd(24)} ${c.structure.padEnd(15)} ${c.predictedMs.toFixed(2).padStart(12)} ${c.measuredMs.toFixed(2).padStart(12)} ${c.measuredIqrMs.toFixed(2).padStart(7)} ${`${(100 * c.error).toFixed(1)}%`.padStart(7)}`);
  }
}

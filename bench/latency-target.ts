import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../src/backend/select.js';
import type { CostOptions } from '../src/cost/cost-model.js';
import type { TableHardware } from '../src/cost/hardware.js';
import { measuredOn } from '../src/cost/latency-table.js';
import { seededRandom } from '../src/data/random.js';
import { analyzeChannels, type ChannelAnalysis } from '../src/graph/channel-groups.js';
import { buildLayerGraph } from '../src/graph/build-graph.js';
import { measureLatencyTable } from '../src/latency/measure-model.js';
import { quartilesOf, type SampleQuartiles, type TimingProtocol } from '../src/latency/timing.js';
import { buildZooModel, parseZooSpec } from '../src/model/zoo/registry.js';
import { resolveTarget } from '../src/stages/expand.js';
import { StructureCosting } from '../src/structure/cost-of.js';
import { fitBudget } from '../src/structure/fill-budget.js';
import type { GroupWidths } from '../src/structure/width-multiplier.js';
import { rebuildModel } from '../src/surgery/rebuild.js';
import { timeInterleaved, type LatencyTableBenchOptions } from './latency.js';

/** The expand targets, in percent of the seed's predicted latency. */
export const TARGET_PERCENTS = [50, 75];

export interface LatencyTargetBenchOptions extends LatencyTableBenchOptions {
  /** Each structure is timed in this many blocks, alternating with the seed's; each block is `sampleModel` with `blockProtocol`. */
  blocks: number;
  blockProtocol: TimingProtocol;
  /** Where the measured tables are written (one per model), if anywhere. */
  outDir?: string;
  /** Widths in multiples of this, as `expand --round-to N` searches and fills them (fitBudget's roundTo). */
  roundTo?: number;
}

/** The expanded structure of one target, built and timed. */
export interface ExpandedTiming {
  /** The expanded structure's latency by the table (what expand reports as achieved). */
  predictedMs: number;
  measured: SampleQuartiles;
  /** (measured - target) / target: the done criterion's error. */
  error: number;
  /** The seed timed in the blocks alternating with this structure's. */
  seedMeasured: SampleQuartiles;
  /** measured / seed measured, against percentOfSeed / 100: the same error without the table's error on the seed. */
  ratioToSeed: number;
  multiplier: number;
  /** Steps the fill took after the multiplier. */
  filled: number;
}

export interface LatencyTargetCase {
  model: string;
  percentOfSeed: number;
  targetMs: number;
  /** The least latency of the learned structure scaled by a multiplier that the search priced (solveMultiplier's range). */
  smallestMs: number;
  /** Absent where the target is below `smallestMs` (expand exits 3 there). */
  expanded?: ExpandedTiming;
}

export interface LatencyTargetBenchResult {
  backend: string;
  threads?: number;
  batch: number;
  blocks: number;
  roundTo?: number;
  tables: Array<{ model: string; seconds: number; wholeMs: number; seedPredictedMs: number; learnedPredictedMs: number; path: string }>;
  cases: LatencyTargetCase[];
}

/**
 * A learned structure that is not the seed's shape: every prunable group at a random 25% to 100%
 * of its width, seeded (the latency bench's "random 25-100%" structure, seed 1).
 */
export function learnedStructure(analysis: ChannelAnalysis): GroupWidths {
  const random = seededRandom(1);
  return analysis.groups.map((group) => (group.fixed ? group.width : Math.max(1, Math.round(group.width * (0.25 + 0.75 * random())))));
}

async function benchModel(spec: string, options: LatencyTargetBenchOptions, backend: string, threads: number | undefined, result: LatencyTargetBenchResult): Promise<void> {
  const { name, options: zooOptions } = parseZooSpec(spec);
  const seed = buildZooModel(name, zooOptions);
  const analysis = analyzeChannels(buildLayerGraph(seed));
  const started = performance.now();
  const table = measureLatencyTable(seed, analysis, { modelName: `zoo:${spec}`, backend, threads, batch: options.batch, widthSamples: options.widthSamples, protocol: options.protocol });
  const seconds = (performance.now() - started) / 1000;
  let path = '(in memory)';
  if (options.outDir) {
    mkdirSync(options.outDir, { recursive: true });
    path = join(options.outDir, `${spec.replace(/[^\w.-]+/g, '_')}-${backend}${threads ? `-${threads}t` : ''}.json`);
    writeFileSync(path, `${JSON.stringify(table, null, 2)}\n`);
  }
  const hardware: TableHardware = { name: 'bench', path, table };
  // What expandStage prices with: the hardware alone (its table was measured at the bench's batch).
  const costOptions: CostOptions = { hardware };
  const costing = new StructureCosting(analysis, costOptions);
  const seedWidths = analysis.groups.map((group) => group.width);
  const seedPredictedMs = costing.resource('latency', seedWidths);
  const learned = learnedStructure(analysis);
  result.tables.push({ model: spec, seconds, wholeMs: table.whole.medianMs, seedPredictedMs, learnedPredictedMs: costing.resource('latency', learned), path });
  for (const percentOfSeed of TARGET_PERCENTS) {
    // As `expand --target-latency P% [--round-to N]` resolves and solves it (stages/expand.ts), with expand.fill's default (true).
    const target = resolveTarget({ resource: 'latency', percentOfSeed }, (resource) => costing.resource(resource, seedWidths));
    if (!('resource' in target)) throw new Error('a latency budget resolves to an amount');
    const { fit, range } = fitBudget(costing.costModel, learned, 'latency', target.value, { costOptions, fill: true, roundTo: options.roundTo });
    const found: LatencyTargetCase = { model: spec, percentOfSeed, targetMs: target.value, smallestMs: range.smallest };
    result.cases.push(found);
    if (!fit) continue;
    const expanded = await rebuildModel(seed, analysis, fit.widths, 1);
    try {
      const samples = timeInterleaved(seed, expanded, options.batch, options.blocks, options.blockProtocol);
      const seedMeasured = quartilesOf(samples.a);
      const measured = quartilesOf(samples.b);
      found.expanded = {
        predictedMs: fit.cost,
        measured,
        error: (measured.medianMs - target.value) / target.value,
        seedMeasured,
        ratioToSeed: measured.medianMs / seedMeasured.medianMs,
        multiplier: fit.multiplier,
        filled: fit.filled.length,
      };
    } finally {
      expanded.dispose();
    }
  }
  seed.dispose();
}

/**
 * For each model: measures a latency table, expands a learned structure (random 25-100% of the
 * seed's widths) with it to 50% and 75% of the seed's predicted latency as `expand
 * --target-latency` does (with `roundTo`, as `expand --round-to N` does), builds the expanded model and times it in blocks alternating with the
 * seed's: does the measured latency land on the target?
 */
export async function benchLatencyTarget(options: LatencyTargetBenchOptions): Promise<LatencyTargetBenchResult> {
  const choice = await initBackend(options.backend, options.threads);
  const result: LatencyTargetBenchResult = { backend: choice.name, threads: choice.threads, batch: options.batch, blocks: options.blocks, roundTo: options.roundTo, tables: [], cases: [] };
  for (const spec of options.models) await benchModel(spec, options, choice.name, choice.threads, result);
  return result;
}

/** One line per model's table, then target, predicted, measured (median, IQR) and error per expanded structure. */
export function printLatencyTargetBench(result: LatencyTargetBenchResult): void {
  const rounding = result.roundTo !== undefined ? ` --round-to ${result.roundTo}` : '';
  console.log(`expand --target-latency${rounding} on ${measuredOn(result)}: target (a percentage of the seed's predicted latency), the expanded structure's predicted and measured latency`);
  console.log(`  (measured: median and interquartile range of ${result.blocks} blocks alternating with the seed's; error = (measured - target) / target; vs seed = measured / seed measured, against the percentage)`);
  for (const t of result.tables) console.log(`  table of ${t.model}: measured in ${t.seconds.toFixed(0)} s, whole model ${t.wholeMs.toFixed(2)} ms, predicted for the seed ${t.seedPredictedMs.toFixed(2)} ms, for the learned structure ${t.learnedPredictedMs.toFixed(2)} ms (${t.path})`);
  const ms = (value: number, width = 9) => value.toFixed(2).padStart(width);
  const percent = (value: number) => `${value >= 0 ? '+' : ''}${(100 * value).toFixed(1)}%`.padStart(7);
  console.log(`  ${'model'.padEnd(24)} ${'target'.padStart(6)} ${'target ms'.padStart(9)} ${'predicted'.padStart(9)} ${'measured'.padStart(9)} ${'IQR'.padStart(6)} ${'error'.padStart(7)}   ${'seed ms'.padStart(8)} ${'IQR'.padStart(6)} ${'vs seed'.padStart(7)}  multiplier  fill steps`);
  for (const c of result.cases) {
    const head = `  ${c.model.padEnd(24)} ${`${c.percentOfSeed}%`.padStart(6)} ${ms(c.targetMs)}`;
    const e = c.expanded;
    if (!e) {
      console.log(`${head}   below the smallest reachable latency, ${c.smallestMs.toFixed(2)} ms: expand exits 3`);
      continue;
    }
    const iqr = (q: SampleQuartiles) => ms(q.p75Ms - q.p25Ms, 6);
    console.log(
      `${head} ${ms(e.predictedMs)} ${ms(e.measured.medianMs)} ${iqr(e.measured)} ${percent(e.error)}   ${ms(e.seedMeasured.medianMs, 8)} ${iqr(e.seedMeasured)} ${`${(100 * e.ratioToSeed).toFixed(1)}%`.padStart(7)}  ${e.multiplier.toFixed(4).padStart(10)}  ${String(e.filled).padStart(10)}`,
    );
  }
}

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
import { landMeasured } from '../src/latency/measured-landing.js';
import { sampleModelPaired } from '../src/latency/model-runs.js';
import { type PairedProtocol, quartilesOf, type SampleQuartiles } from '../src/latency/timing.js';
import { buildZooModel, parseZooSpec } from '../src/model/zoo/registry.js';
import { defaultRoundTo, resolveTarget } from '../src/stages/expand.js';
import { StructureCosting } from '../src/structure/cost-of.js';
import { fitBudget } from '../src/structure/fill-budget.js';
import type { LandingAttempt } from '../src/structure/structure-file.js';
import type { GroupWidths } from '../src/structure/width-multiplier.js';
import { rebuildModel } from '../src/surgery/rebuild.js';
import type { LatencyTableBenchOptions } from './latency.js';

/** The expand targets, in percent of the seed's predicted latency. */
export const TARGET_PERCENTS = [50, 75];

export interface LatencyTargetBenchOptions extends LatencyTableBenchOptions {
  /** Each expanded structure is timed in pairs of samples with the seed's (`sampleModelPaired`). */
  paired: PairedProtocol;
  /** Where the measured tables are written (one per model), if anywhere. */
  outDir?: string;
  /** Widths in multiples of this, as `expand --round-to N` searches and fills them (fitBudget's roundTo); by default expand's for the table (`defaultRoundTo`). */
  roundTo?: number;
}

/** The expanded structure of one target, built and timed. */
export interface ExpandedTiming {
  /** The expanded structure's latency by the table (what expand reports as achieved). */
  predictedMs: number;
  measured: SampleQuartiles;
  /** (measured - target) / target: the done criterion's error. */
  error: number;
  /** The seed's samples in the pairs with this structure's. */
  seedMeasured: SampleQuartiles;
  /** The median of the per-pair ratios, structure over seed: its measured share of the seed's time. */
  ratioToSeed: number;
  /**
   * (ratioToSeed x the table's seed prediction - target) / target: the error with the measurement
   * brought to the table's speed (the seed is the clock both are read on), which the machine's
   * drift between the table and the measurement does not move.
   */
  errorAtTableSpeed: number;
  multiplier: number;
  /** Steps the fill took after the multiplier. */
  filled: number;
  /** expand's measured landing (`landMeasured`): each fit timed against the seed, the first being what --no-measure builds. */
  attempts: LandingAttempt[];
  chosen: number;
}

export interface LatencyTargetCase {
  model: string;
  percentOfSeed: number;
  targetMs: number;
  /** The least latency of the learned structure scaled by a multiplier that the search priced (solveMultiplier's range). */
  smallestMs: number;
  /** Widths in multiples of this (1: any width). */
  roundTo: number;
  /** Absent where the target is below `smallestMs` (expand exits 3 there). */
  expanded?: ExpandedTiming;
}

export interface LatencyTargetBenchResult {
  backend: string;
  threads?: number;
  batch: number;
  paired: PairedProtocol;
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
  const table = await measureLatencyTable(seed, analysis, { modelName: `zoo:${spec}`, backend, threads, batch: options.batch, widthSamples: options.widthSamples, protocol: options.protocol });
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
    const roundTo = options.roundTo ?? defaultRoundTo('latency', hardware);
    const fitAt = (budget: number) => fitBudget(costing.costModel, learned, 'latency', budget, { costOptions, fill: true, roundTo });
    const { fit: first, range } = fitAt(target.value);
    const found: LatencyTargetCase = { model: spec, percentOfSeed, targetMs: target.value, smallestMs: range.smallest, roundTo: roundTo ?? 1 };
    result.cases.push(found);
    if (!first) continue;
    // As expand lands it (expand.measureLatency, the default on the table's backend), then timed once more, apart from the fits.
    const timing = { on: measuredOn(table), batch: options.batch, protocol: options.paired };
    const { fit, measured: landing } = await landMeasured(first, (aim) => fitAt(aim).fit, target.value, seedPredictedMs, { model: seed, analysis }, timing);
    const expanded = await rebuildModel(seed, analysis, fit.widths, 1);
    try {
      const paired = sampleModelPaired(expanded, seed, options.batch, options.paired);
      const measured = quartilesOf(paired.samples);
      const ratioToSeed = quartilesOf(paired.ratios).medianMs;
      found.expanded = {
        predictedMs: fit.cost,
        measured,
        error: (measured.medianMs - target.value) / target.value,
        seedMeasured: quartilesOf(paired.referenceSamples),
        ratioToSeed,
        errorAtTableSpeed: (ratioToSeed * seedPredictedMs - target.value) / target.value,
        multiplier: fit.multiplier,
        filled: fit.filled.length,
        attempts: landing.attempts,
        chosen: landing.chosen,
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
 * --target-latency` does (widths rounded as expand rounds them, each fit timed against the seed
 * and refitted while it misses, `landMeasured`), builds the structure taken and times it once
 * more in pairs with the seed: does the measured latency land on the target?
 */
export async function benchLatencyTarget(options: LatencyTargetBenchOptions): Promise<LatencyTargetBenchResult> {
  const choice = await initBackend(options.backend, options.threads);
  const result: LatencyTargetBenchResult = { backend: choice.name, threads: choice.threads, batch: options.batch, paired: options.paired, tables: [], cases: [] };
  for (const spec of options.models) await benchModel(spec, options, choice.name, choice.threads, result);
  return result;
}

/** One line per model's table, then target, predicted, measured (median, IQR) and error per expanded structure. */
export function printLatencyTargetBench(result: LatencyTargetBenchResult): void {
  console.log(`expand --target-latency on ${measuredOn(result)}: target (a percentage of the seed's predicted latency), the expanded structure's predicted and measured latency`);
  console.log(`  (measured: median and interquartile range of ${result.paired.pairs} samples, each paired with one of the seed; widths in multiples of round to; error = (measured - target) / target;`);
  console.log("   vs seed = the median per-pair ratio, against the percentage; at table speed = the error of vs seed x the table's seed prediction, the machine's drift taken out;");
  console.log('   fits = expand landing on the target as it measures (the first fit is the table alone, --no-measure); the structure taken is then timed once more for the columns before)');
  for (const t of result.tables) console.log(`  table of ${t.model}: measured in ${t.seconds.toFixed(0)} s, whole model ${t.wholeMs.toFixed(2)} ms, predicted for the seed ${t.seedPredictedMs.toFixed(2)} ms, for the learned structure ${t.learnedPredictedMs.toFixed(2)} ms (${t.path})`);
  const ms = (value: number, width = 9) => value.toFixed(2).padStart(width);
  const percent = (value: number) => `${value >= 0 ? '+' : ''}${(100 * value).toFixed(1)}%`.padStart(7);
  console.log(
    `  ${'model'.padEnd(24)} ${'target'.padStart(6)} ${'target ms'.padStart(9)} ${'predicted'.padStart(9)} ${'measured'.padStart(9)} ${'IQR'.padStart(6)} ${'error'.padStart(7)}   ${'seed ms'.padStart(8)} ${'IQR'.padStart(6)} ${'vs seed'.padStart(7)} ${'at table speed'.padStart(14)}  round to  multiplier  fill steps  fits (error at table speed of each, * taken)`,
  );
  for (const c of result.cases) {
    const head = `  ${c.model.padEnd(24)} ${`${c.percentOfSeed}%`.padStart(6)} ${ms(c.targetMs)}`;
    const e = c.expanded;
    if (!e) {
      console.log(`${head}   below the smallest reachable latency, ${c.smallestMs.toFixed(2)} ms: expand exits 3`);
      continue;
    }
    const iqr = (q: SampleQuartiles) => ms(q.p75Ms - q.p25Ms, 6);
    console.log(
      `${head} ${ms(e.predictedMs)} ${ms(e.measured.medianMs)} ${iqr(e.measured)} ${percent(e.error)}   ${ms(e.seedMeasured.medianMs, 8)} ${iqr(e.seedMeasured)} ${`${(100 * e.ratioToSeed).toFixed(1)}%`.padStart(7)} ${percent(e.errorAtTableSpeed).padStart(14)}  ${String(c.roundTo).padStart(8)}  ${e.multiplier.toFixed(4).padStart(10)}  ${String(e.filled).padStart(10)}  ${e.attempts.map((a, i) => `${percent(a.error).trim()}${i === e.chosen ? '*' : ''}`).join(' ')}`,
    );
  }
}

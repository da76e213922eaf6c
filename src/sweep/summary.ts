import type { SweepArm, SweepPick } from '../config/sweep-schema.js';
import { ARMS } from './arms.js';
import { mean, pairedDifference, spread, type PairedDifference, type Spread } from './statistics.js';

/** The accuracy every comparison uses: the test split, or validation where the data has no test split. */
export type AccuracyMetric = 'test' | 'validation';

export interface ModelCost {
  flops: number;
  params: number;
  /** Roofline latency in ms, when the config names hardware. */
  latency?: number;
}

/** One trained model of the sweep that is an arm's. */
export interface ArmResult {
  /** Its run dir, relative to the sweep dir. */
  run: string;
  arm: SweepArm;
  /** The budget's label (`50pct`, `7.5M`); the seed arm's is `100pct`. */
  budget: string;
  /** The budget in the target resource. */
  budgetAmount: number;
  /** The shrink its run dir was made from (its run dir's name). */
  shrink: string;
  /** That shrink's strength: its fixed lambda, or for a goal the lambda the steering ended at. */
  strength: number;
  /** The goal that shrink sought (`25%`, `7.5M`), with `strengths: goal`. */
  goal?: string;
  seed: number;
  cost: ModelCost;
  valAccuracy?: number;
  testAccuracy?: number;
  /** The accuracy of the sweep's metric. */
  accuracy: number;
}

/** One arm at one budget (and, for MorphNet under `pick: all`, one strength), over its seeds. */
export interface ArmStatistics {
  arm: SweepArm;
  budget: string;
  budgetAmount: number;
  /** The shrink the arm's structure came from, its strength and goal (MorphNet only). */
  shrink?: string;
  strength?: number;
  goal?: string;
  runs: string[];
  seeds: number[];
  accuracy: Spread;
  /** Mean accuracy / the seed network's mean accuracy; absent without the seed arm. */
  relativeToSeed?: number;
  /** Mean cost over the seeds (the architecture is the same for every seed). */
  cost: ModelCost;
}

/** MorphNet minus uniform at one budget, paired by seed. */
export interface ArmDifference {
  budget: string;
  budgetAmount: number;
  /** The shrink MorphNet's structure came from, its strength and goal. */
  shrink?: string;
  strength?: number;
  goal?: string;
  seeds: number[];
  /** In accuracy (a fraction: 0.01 is one point), with its 95% interval. */
  difference: PairedDifference;
}

export interface SweepStatistics {
  metric: AccuracyMetric;
  /** The seed network's accuracy over the seeds: the 100% reference. */
  seed?: Spread;
  arms: ArmStatistics[];
  differences: ArmDifference[];
}

const meanCost = (costs: ModelCost[]): ModelCost => {
  const latencies = costs.map((c) => c.latency).filter((l): l is number => l !== undefined);
  return { flops: mean(costs.map((c) => c.flops)), params: mean(costs.map((c) => c.params)), ...(latencies.length === costs.length ? { latency: mean(latencies) } : {}) };
};

/** Groups results by arm, budget and (for arms with a line per shrink under `pick: all`) shrink, keeping first-seen order. */
function groupResults(results: ArmResult[], pick: SweepPick): ArmResult[][] {
  const groups = new Map<string, ArmResult[]>();
  for (const result of results) {
    const shrink = pick === 'all' && ARMS[result.arm].everyShrink ? result.shrink : undefined;
    const key = JSON.stringify([result.arm, result.budget, shrink]);
    groups.set(key, [...(groups.get(key) ?? []), result]);
  }
  return [...groups.values()];
}

/** The shrink an arm's structure came from, for arms that expand a learned structure; nothing for the others. */
const shrinkOf = (of: { arm: SweepArm; shrink?: string; strength?: number; goal?: string }): { shrink?: string; strength?: number; goal?: string } =>
  ARMS[of.arm].everyShrink && of.shrink !== undefined ? { shrink: of.shrink, strength: of.strength, ...(of.goal !== undefined ? { goal: of.goal } : {}) } : {};

function armStatistics(group: ArmResult[], seedMean: number | undefined): ArmStatistics {
  const first = group[0];
  const accuracy = spread(group.map((r) => r.accuracy));
  return {
    arm: first.arm,
    budget: first.budget,
    budgetAmount: first.budgetAmount,
    // The shrink a MorphNet group was expanded from: one per budget under `pick: closest`, the group's own under `all`.
    ...shrinkOf(first),
    runs: group.map((r) => r.run),
    seeds: group.map((r) => r.seed),
    accuracy,
    ...(seedMean !== undefined && seedMean > 0 ? { relativeToSeed: accuracy.mean / seedMean } : {}),
    cost: meanCost(group.map((r) => r.cost)),
  };
}

/** MorphNet minus uniform at each budget where both were trained, over the seeds both have. */
function differences(arms: ArmStatistics[], results: ArmResult[]): ArmDifference[] {
  const accuracyOf = (arm: SweepArm, budget: string, seed: number, shrink?: string) =>
    results.find((r) => r.arm === arm && r.budget === budget && r.seed === seed && (shrink === undefined || r.shrink === shrink))?.accuracy;
  return arms
    .filter((group) => group.arm === 'morphnet')
    .flatMap((morphnet): ArmDifference[] => {
      const pairs = morphnet.seeds.flatMap((seed) => {
        const [a, b] = [accuracyOf('morphnet', morphnet.budget, seed, morphnet.shrink), accuracyOf('uniform', morphnet.budget, seed)];
        return a !== undefined && b !== undefined ? [{ seed, a, b }] : [];
      });
      if (pairs.length === 0) return [];
      return [{ budget: morphnet.budget, budgetAmount: morphnet.budgetAmount, ...shrinkOf(morphnet), seeds: pairs.map((p) => p.seed), difference: pairedDifference(pairs) }];
    });
}

/**
 * The statistics of a sweep: per arm and budget the mean and sample std over seeds, each
 * relative to the seed network's mean; MorphNet minus uniform paired by seed with a 95%
 * Student-t interval (df = n - 1).
 */
export function sweepStatistics(results: ArmResult[], pick: SweepPick, metric: AccuracyMetric): SweepStatistics {
  const seedResults = results.filter((r) => r.arm === 'seed');
  const seed = seedResults.length > 0 ? spread(seedResults.map((r) => r.accuracy)) : undefined;
  const arms = groupResults(results, pick).map((group) => armStatistics(group, seed?.mean));
  return { metric, ...(seed ? { seed } : {}), arms, differences: differences(arms, results) };
}

import type { SweepArm, SweepPick } from '../config/sweep-schema.js';
import { ARMS, type ArmStage } from './arms.js';
import { seedBudget, strengthLabel, type Budget } from './budgets.js';

/**
 * The plan of a sweep, as data: one shrink per strength (MorphNet learns a structure once, with
 * the config's seed), then, once their learned costs are known, the trained run dirs: per seed,
 * per budget, the shrink(s) serving it, expanded to the budget and retrained. Arms that train in
 * the same run dir (MorphNet in retrain/, the uniform baseline in baseline/) share it.
 */

export interface ShrinkRun {
  name: string;
  strength: number;
}

/** A finished shrink: its strength and the cost of its learned structure (before expansion) in the target resource. */
export interface LearnedShrink {
  strength: number;
  cost: number;
}

/** The shrinks that serve one budget. */
export interface BudgetAssignment {
  budget: Budget;
  /** The strength whose learned cost is closest to the budget. */
  closest: number;
  /** `pick: closest`: [closest]; `pick: all`: every strength, in the config's order. */
  strengths: number[];
}

/** One model of a trained run dir that is an arm's. */
export interface ArmModel {
  arm: SweepArm;
  stage: ArmStage;
}

/** A run dir `<arm>-<budget>-seed<k>`: the shrink `strength` copied in, expanded to `budget`, retrained with `seed`. */
export interface TrainedRun {
  name: string;
  strength: number;
  budget: Budget;
  seed: number;
  arms: ArmModel[];
  /** Whether the uniform baseline (baseline/) is trained beside retrain/. */
  baseline: boolean;
}

export const shrinkRunName = (strength: number) => `shrink-${strengthLabel(strength)}`;

export const planShrinks = (strengths: number[]): ShrinkRun[] => strengths.map((strength) => ({ name: shrinkRunName(strength), strength }));

/**
 * The shrink whose learned cost is closest to `amount` (absolute difference). A tie goes to the
 * larger strength: its structure is the more selective one, and expand then grows it to the
 * budget, the direction the MorphNet paper takes (shrink, then expand).
 */
export function closestShrink(amount: number, shrinks: LearnedShrink[]): number {
  if (shrinks.length === 0) throw new RangeError('closestShrink: expected at least one shrink');
  const distance = (shrink: LearnedShrink) => Math.abs(shrink.cost - amount);
  return shrinks.reduce((best, shrink) => {
    const [d, dBest] = [distance(shrink), distance(best)];
    return d < dBest || (d === dBest && shrink.strength > best.strength) ? shrink : best;
  }).strength;
}

export function assignShrinks(budgets: Budget[], shrinks: LearnedShrink[], pick: SweepPick): BudgetAssignment[] {
  return budgets.map((budget) => {
    const closest = closestShrink(budget.amount, shrinks);
    return { budget, closest, strengths: pick === 'all' ? shrinks.map((s) => s.strength) : [closest] };
  });
}

export interface TrainedPlanInput {
  assignments: BudgetAssignment[];
  shrinks: LearnedShrink[];
  seedCost: number;
  seeds: number[];
  arms: SweepArm[];
  pick: SweepPick;
}

/** `morphnet-50pct-seed1`; with `pick: all` the strength too (`morphnet-50pct-1e-7-seed1`); `seed-seed1`. */
function runName(arm: SweepArm, budget: Budget, strength: number, seed: number, pick: SweepPick): string {
  if (ARMS[arm].budget === 'seed-cost') return `${arm}-seed${seed}`;
  const withStrength = pick === 'all' && ARMS[arm].everyShrink ? `-${strengthLabel(strength)}` : '';
  return `${arm}-${budget.label}${withStrength}-seed${seed}`;
}

/**
 * The trained run dirs, seed by seed (so a sweep stopped early has whole seeds): per budget
 * the arms trained per budget, then the arms trained at the seed's cost. Arms that need the
 * same shrink, budget and seed share one run dir, named after the first arm that needs it.
 */
export function planTrainedRuns(input: TrainedPlanInput): TrainedRun[] {
  const runs = new Map<string, TrainedRun>();
  const add = (arm: SweepArm, budget: Budget, strength: number, seed: number) => {
    const key = JSON.stringify([budget.label, strength, seed]);
    const run = runs.get(key) ?? { name: runName(arm, budget, strength, seed, input.pick), strength, budget, seed, arms: [], baseline: false };
    run.arms.push({ arm, stage: ARMS[arm].stage });
    run.baseline ||= ARMS[arm].stage === 'baseline';
    runs.set(key, run);
  };
  const perBudget = input.arms.filter((arm) => ARMS[arm].budget === 'budget');
  const atSeedCost = input.arms.filter((arm) => ARMS[arm].budget === 'seed-cost');
  const seedCostBudget = seedBudget(input.seedCost);
  for (const seed of input.seeds) {
    for (const assignment of input.assignments) {
      for (const strength of assignment.strengths) {
        for (const arm of perBudget) if (ARMS[arm].everyShrink || strength === assignment.closest) add(arm, assignment.budget, strength, seed);
      }
    }
    // The seed network is the uniform baseline at the seed's own cost (multiplier 1), trained in a run dir of its own.
    for (const arm of atSeedCost) add(arm, input.assignments.find((a) => a.budget.label === seedCostBudget.label)?.budget ?? seedCostBudget, closestShrink(input.seedCost, input.shrinks), seed);
  }
  return [...runs.values()];
}

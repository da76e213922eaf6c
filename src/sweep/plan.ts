import type { SweepArm, SweepPick } from '../config/sweep-schema.js';
import { ARMS, type ArmStage } from './arms.js';
import { seedBudget, strengthLabel, type Budget } from './budgets.js';

/**
 * The plan of a sweep, as data: the shrinks (MorphNet learns a structure once per shrink, with
 * the config's seed): one per strength, or with `strengths: goal` one per budget that steers its
 * lambda toward that budget (shrink.goal). Once their learned costs are known, the trained run
 * dirs: per seed, per budget, the shrink(s) serving it, expanded to the budget and retrained.
 * Arms that train in the same run dir (MorphNet in retrain/, the uniform baseline in baseline/)
 * share it. A shrink is identified by its run dir's name.
 */

/** shrink.goal of a goal-seeking shrink: the budget it serves, as that key takes it. */
export interface ShrinkGoal {
  /** The label of the budget it serves (`25pct`, `7.5M`). */
  budget: string;
  /** As shrink.goal takes it: `"25%"` for a fraction of the seed's cost, the amount for an amount. */
  value: string | number;
}

/** A shrink sub-run: a fixed strength (shrink.strength), or a goal (shrink.goal) that steers it. */
export interface ShrinkRun {
  name: string;
  strength?: number;
  goal?: ShrinkGoal;
}

/**
 * A finished shrink and the cost of its learned structure (before expansion) in the target
 * resource. `strength` is its fixed lambda, or for a goal the lambda the steering ended at.
 */
export interface LearnedShrink extends ShrinkRun {
  strength: number;
  cost: number;
}

/** The shrinks that serve one budget. */
export interface BudgetAssignment {
  budget: Budget;
  /** Strengths: the shrink whose learned cost is closest to the budget; goal: the budget's own shrink. */
  closest: LearnedShrink;
  /** `pick: closest` or a goal: [closest]; `pick: all`: every shrink, in the config's order. */
  shrinks: LearnedShrink[];
}

/** One model of a trained run dir that is an arm's. */
export interface ArmModel {
  arm: SweepArm;
  stage: ArmStage;
}

/** A run dir `<arm>-<budget>-seed<k>`: the shrink copied in, expanded to `budget`, retrained with `seed`. */
export interface TrainedRun {
  name: string;
  shrink: LearnedShrink;
  budget: Budget;
  seed: number;
  arms: ArmModel[];
  /** Whether the uniform baseline (baseline/) is trained beside retrain/. */
  baseline: boolean;
}

export const shrinkRunName = (strength: number) => `shrink-${strengthLabel(strength)}`;

/** `shrink-goal-25pct`, `shrink-goal-7.5M`. */
export const goalShrinkName = (budget: Budget) => `shrink-goal-${budget.label}`;

export const planShrinks = (strengths: number[]): ShrinkRun[] => strengths.map((strength) => ({ name: shrinkRunName(strength), strength }));

/** shrink.goal for a budget: a fraction as a percentage of the seed's cost (0.25 -> "25%"), an amount as it is. */
export const goalValue = (budget: Budget): string | number => (budget.fraction !== undefined ? `${Number((100 * budget.fraction).toPrecision(12))}%` : budget.amount);

/** The goal as tables show it: `25%` for a fraction of the seed's cost, the budget's label (`7.5M`, `3.5ms`) for an amount. */
export const goalText = (goal: ShrinkGoal) => (typeof goal.value === 'string' ? goal.value : goal.budget);

/** `strengths: goal`: one shrink per budget, its goal that budget. */
export const planGoalShrinks = (budgets: Budget[]): ShrinkRun[] => budgets.map((budget) => ({ name: goalShrinkName(budget), goal: { budget: budget.label, value: goalValue(budget) } }));

/**
 * The shrink whose learned cost is closest to `amount` (absolute difference). A tie goes to the
 * larger strength: its structure is the more selective one, and expand then grows it to the
 * budget, the direction the MorphNet paper takes (shrink, then expand).
 */
export function closestShrink(amount: number, shrinks: LearnedShrink[]): LearnedShrink {
  if (shrinks.length === 0) throw new RangeError('closestShrink: expected at least one shrink');
  const distance = (shrink: LearnedShrink) => Math.abs(shrink.cost - amount);
  return shrinks.reduce((best, shrink) => {
    const [d, dBest] = [distance(shrink), distance(best)];
    return d < dBest || (d === dBest && shrink.strength > best.strength) ? shrink : best;
  });
}

/** The goal shrink made for a budget. */
function ownShrink(budget: Budget, shrinks: LearnedShrink[]): LearnedShrink {
  const own = shrinks.find((shrink) => shrink.goal?.budget === budget.label);
  if (!own) throw new RangeError(`ownShrink: no goal shrink serves the budget ${budget.label}`);
  return own;
}

const isGoalPlan = (shrinks: LearnedShrink[]) => shrinks.some((shrink) => shrink.goal !== undefined);

/** Per budget its shrink(s): goal shrinks serve their own budget; strengths by `pick`. */
export function assignShrinks(budgets: Budget[], shrinks: LearnedShrink[], pick: SweepPick): BudgetAssignment[] {
  return budgets.map((budget) => {
    const closest = isGoalPlan(shrinks) ? ownShrink(budget, shrinks) : closestShrink(budget.amount, shrinks);
    return { budget, closest, shrinks: pick === 'all' ? shrinks : [closest] };
  });
}

/**
 * The shrink copied into the seed arm's run dirs (the seed network is trained from scratch, so
 * any shrink would do; this one makes the run dir's report compare like with like): the one
 * whose learned cost is closest to the seed's; with goal shrinks, the largest budget's.
 */
export function seedArmShrink(assignments: BudgetAssignment[], shrinks: LearnedShrink[], seedCost: number): LearnedShrink {
  if (!isGoalPlan(shrinks)) return closestShrink(seedCost, shrinks);
  return assignments.reduce((largest, a) => (a.budget.amount > largest.budget.amount ? a : largest)).closest;
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
function runName(arm: SweepArm, budget: Budget, shrink: LearnedShrink, seed: number, pick: SweepPick): string {
  if (ARMS[arm].budget === 'seed-cost') return `${arm}-seed${seed}`;
  const withStrength = pick === 'all' && ARMS[arm].everyShrink ? `-${strengthLabel(shrink.strength)}` : '';
  return `${arm}-${budget.label}${withStrength}-seed${seed}`;
}

/**
 * The trained run dirs, seed by seed (so a sweep stopped early has whole seeds): per budget
 * the arms trained per budget, then the arms trained at the seed's cost. Arms that need the
 * same shrink, budget and seed share one run dir, named after the first arm that needs it.
 */
export function planTrainedRuns(input: TrainedPlanInput): TrainedRun[] {
  const runs = new Map<string, TrainedRun>();
  const add = (arm: SweepArm, budget: Budget, shrink: LearnedShrink, seed: number) => {
    const key = JSON.stringify([budget.label, shrink.name, seed]);
    const run = runs.get(key) ?? { name: runName(arm, budget, shrink, seed, input.pick), shrink, budget, seed, arms: [], baseline: false };
    run.arms.push({ arm, stage: ARMS[arm].stage });
    run.baseline ||= ARMS[arm].stage === 'baseline';
    runs.set(key, run);
  };
  const perBudget = input.arms.filter((arm) => ARMS[arm].budget === 'budget');
  const atSeedCost = input.arms.filter((arm) => ARMS[arm].budget === 'seed-cost');
  const seedCostBudget = seedBudget(input.seedCost);
  const seedShrink = seedArmShrink(input.assignments, input.shrinks, input.seedCost);
  for (const seed of input.seeds) {
    for (const assignment of input.assignments) {
      for (const shrink of assignment.shrinks) {
        for (const arm of perBudget) if (ARMS[arm].everyShrink || shrink.name === assignment.closest.name) add(arm, assignment.budget, shrink, seed);
      }
    }
    // The seed network is the uniform baseline at the seed's own cost (multiplier 1), trained in a run dir of its own.
    for (const arm of atSeedCost) add(arm, input.assignments.find((a) => a.budget.label === seedCostBudget.label)?.budget ?? seedCostBudget, seedShrink, seed);
  }
  return [...runs.values()];
}

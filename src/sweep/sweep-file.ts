import type { SweepArm, SweepPick } from '../config/sweep-schema.js';
import type { Budget, BudgetResource } from './budgets.js';
import type { ArmModel } from './plan.js';
import type { AccuracyMetric, ArmResult, ModelCost, SweepStatistics } from './summary.js';

export const SWEEP_FORMAT = 'morphnet.sweep/1';

/** A shrink sub-run and what it learned. */
export interface SweepShrink {
  run: string;
  /** Its fixed lambda; for a goal shrink the lambda the steering ended at. */
  strength: number;
  /** With `strengths: goal`: the goal it sought (`25%`, `7.5M`), one of the budgets. */
  goal?: string;
  /** The learned structure's cost (before expansion) in the target resource: what `pick: closest` compares with each budget. */
  learnedCost: number;
  cost: ModelCost;
  valAccuracy?: number;
  /** The budgets it serves. */
  budgets: string[];
}

/** A trained sub-run: its run dir and the arms whose models it holds. */
export interface SweepRun {
  run: string;
  shrink: string;
  strength: number;
  goal?: string;
  budget: string;
  budgetAmount: number;
  seed: number;
  arms: ArmModel[];
}

/** sweep.json: everything `morphnet sweep` measured, the statistics, and the config. */
export interface SweepSummary {
  format: typeof SWEEP_FORMAT;
  sweepDir: string;
  model: string;
  backend?: string;
  /** The resource budgets bound (sweep.resource, else shrink.target), the seed's cost in it, and the hardware of latency costs. */
  target: BudgetResource;
  /** shrink.target, when the budgets bound another resource (sweep.resource). */
  shrinkTarget?: BudgetResource;
  seedCost: number;
  hardware?: string;
  /** Which accuracy the statistics use, and why when it is not the test split. */
  metric: AccuracyMetric;
  metricNote?: string;
  pick: SweepPick;
  /** The shrinks' strengths in order: the listed or grid lambdas, or with goals the lambdas the steering ended at. */
  strengths: number[];
  budgets: Budget[];
  seeds: number[];
  arms: SweepArm[];
  shrinks: SweepShrink[];
  runs: SweepRun[];
  /** Every arm's model: run dir, budget, seed, cost and accuracies. */
  results: ArmResult[];
  statistics: SweepStatistics;
  /** The resolved config, with its sweep section. */
  config: unknown;
}

/** The report page of a sub-run, relative to the sweep dir. */
export const reportLink = (run: string) => `${run}/report.html`;

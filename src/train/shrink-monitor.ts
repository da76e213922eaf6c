import { formatSi } from '../config/si-number.js';
import type { LoopPosition } from './checkpoint.js';
import type { StepLosses } from './train-step.js';

export interface ShrinkProgress {
  step: number;
  totalSteps: number;
  epoch: number;
  loss: number;
  taskLoss: number;
  regLoss: number;
  cost: number;
  initialCost: number;
  aliveChannels: number;
  totalChannels: number;
  /** The lambda the step trained with. */
  lambda: number;
  /** At the end of an epoch; undefined without a validation set (data.validationSplit: 0). */
  valAccuracy?: number;
}

/** What the monitor reads of the regularizer (NetworkRegularizer), so tests can give it fake scores. */
export interface AliveSource {
  readonly groups: ReadonlyArray<{ group: { id: number; components: number[] } }>;
  /** Re-derives the alive channels from the current scores. */
  updateAlive(): Float64Array;
  /** 1 per alive component, 0 per dead one. */
  aliveComponents(): Float64Array;
  /** The target resource's cost at the current alive channels. */
  cost(): number;
}

export interface ShrinkMonitorOptions {
  totalSteps: number;
  /** The seed's cost of the target resource. */
  initialCost: number;
  exportEvery: number;
  target: string;
  /** With a goal, lambda is steered: the strength hints do not apply, a missed goal is hinted instead. */
  goal?: { text: string; cost: number };
  onHint?(message: string): void;
}

/**
 * Runs shorter than this are too short to judge whether lambda is too small: channels need
 * steps to die, so "nothing has died by half of the run" says nothing about a 4-step try-out.
 */
export const MIN_STEPS_FOR_STRENGTH_HINT = 50;
/** A goal counts as met when the final cost is this close to it (relative). */
export const GOAL_TOLERANCE = 0.05;

/**
 * Watches a shrink: the alive channels and cost after each step (for metrics.jsonl and
 * progress), when to export the alive structure, and the advice a user needs when lambda
 * is off (nothing dies, the cost collapses, a goal is missed).
 */
export class ShrinkMonitor {
  readonly hints: string[] = [];
  readonly totalChannels: number;
  private last?: ShrinkProgress;

  constructor(
    private readonly source: AliveSource,
    private readonly options: ShrinkMonitorOptions,
  ) {
    this.totalChannels = source.groups.reduce((sum, entry) => sum + entry.group.components.length, 0);
  }

  /** Alive channels per group id, from the current scores. */
  aliveByGroup(): Record<string, number> {
    this.source.updateAlive();
    const alive = this.source.aliveComponents();
    return Object.fromEntries(this.source.groups.map((entry) => [entry.group.id, entry.group.components.filter((c) => alive[c] > 0).length]));
  }

  /** The step's metrics fields: cost and alive channels per group. */
  measure(): { cost: number; alive: Record<string, number> } {
    const alive = this.aliveByGroup();
    return { cost: this.source.cost(), alive };
  }

  /** The progress after a step; checks the strength hint. True when the step's structure is due for export. */
  afterStep(losses: StepLosses, next: LoopPosition, measured: { cost: number; alive: Record<string, number> }, lambda: number): boolean {
    const aliveChannels = Object.values(measured.alive).reduce((a, b) => a + b, 0);
    this.last = { step: next.step, totalSteps: this.options.totalSteps, epoch: next.epoch, ...losses, cost: measured.cost, initialCost: this.options.initialCost, aliveChannels, totalChannels: this.totalChannels, lambda };
    const { totalSteps } = this.options;
    const halfway = totalSteps >= MIN_STEPS_FOR_STRENGTH_HINT && next.step === Math.floor(totalSteps / 2);
    if (halfway && !this.options.goal && lambda > 0 && aliveChannels === this.totalChannels) {
      this.hint(`nothing has died by half of the run (step ${next.step} of ${totalSteps}): raise shrink.strength x10 (now ${lambda.toPrecision(3)})`);
    }
    return next.step % this.options.exportEvery === 0;
  }

  /** The latest step's progress. */
  latest(): ShrinkProgress | undefined {
    return this.last;
  }

  /** The latest step's progress with the epoch's validation accuracy. */
  epochProgress(valAccuracy: number | undefined): ShrinkProgress | undefined {
    return this.last && { ...this.last, valAccuracy };
  }

  /** Hints on the final cost: collapsed, or a goal missed. */
  finish(finalCost: number, lambda: number): void {
    const { initialCost, target, goal } = this.options;
    const share = (cost: number) => `${((100 * cost) / initialCost).toFixed(1)}%`;
    if (goal && Math.abs(finalCost / goal.cost - 1) > GOAL_TOLERANCE) {
      this.hint(
        `the ${target} cost ended at ${formatSi(finalCost)} (${share(finalCost)} of the seed's), not within ${100 * GOAL_TOLERANCE}% of shrink.goal ${goal.text} (${formatSi(goal.cost)}); lambda ended at ${lambda.toExponential(2)}: give more shrink.epochs so that lambda has time to steer`,
      );
    } else if (!goal && finalCost <= 0.02 * initialCost) {
      this.hint(`the ${target} cost collapsed to ${share(finalCost)} of the seed's: lower shrink.strength (now ${lambda.toPrecision(3)}) or raise shrink.threshold`);
    }
  }

  private hint(message: string): void {
    this.hints.push(message);
    this.options.onHint?.(message);
  }
}

import { LambdaController, type LambdaControllerOptions } from './lambda-controller.js';

/** What goal steering reads of the regularizer (NetworkRegularizer), so tests can give it fake scores and costs. */
export interface SteeredRegularizer {
  readScores(): Float32Array[];
  /** The target resource's cost with each regularized channel counted by a share in [0, 1], one array per group. */
  costAtShares(shares: ArrayLike<number>[]): number;
}

/**
 * How far from the threshold toward its group's seed mean a channel's score must be to count in
 * full for the steering: threshold + WEAK_FRACTION x (seed mean - threshold). With gammas (seed
 * mean 1, threshold 0.01) that is 0.109.
 */
export const WEAK_FRACTION = 0.1;

/** Relative distance from the goal within which settle() keeps the threshold's structure as it is. */
export const SETTLE_TOLERANCE = 0.02;

/** settle()'s structure. */
export interface Settlement {
  /** Per regularized group, 1 for each channel alive, 0 for each dead one. */
  alive: number[][];
  /** The target resource's cost at the threshold's alive channels. */
  thresholdCost: number;
  /** The cost at `alive`. */
  cost: number;
  /** Channels above the threshold (under their weak line) made dead to approach the goal. */
  cut: number;
  /** Channels under the threshold (in the band) kept alive to approach the goal. */
  kept: number;
}

/**
 * shrink.goal: lambda steered (LambdaController) on a cost that counts weak channels in part,
 * not on the alive cost.
 *
 * The alive cost lags the pressure: a channel's score falls for hundreds of steps before it
 * crosses the threshold, and a weak channel often goes on falling after lambda is lowered. A
 * controller watching the alive cost keeps raising lambda while scores are on their way down,
 * then many channels die at once and none come back. Here a channel counts in full while its
 * score is above its group's weak line, not at all at the threshold, and in proportion between:
 * share = clamp((score - threshold) / (weak line - threshold), 0, 1).
 *
 * Measured with goal 50% on configs/mnist-cnn.yaml (1,410 steps, one run each), final cost
 * against the goal, alive cost steering -> this: size -16% -> -3.5%, FLOPs +1.9% -> +6.9%; on
 * VGG-16 (configs/fashion-mnist-vgg16-size.yaml, goal 25%, 846 steps) -40% -> +18%. Counting
 * weak channels wholly dead overshot the other way (FLOPs +23%); a weak line at 5% of the way
 * gave size -8.3%, FLOPs -3.8%.
 */
export class GoalSteering {
  readonly controller: LambdaController;
  /** Per regularized group, the score from which a channel counts in full. */
  readonly weakLine: number[];

  /** `seedScores`: the regularizer's scores before training, one array per group. */
  constructor(
    options: LambdaControllerOptions,
    readonly threshold: number,
    seedScores: ArrayLike<number>[],
  ) {
    this.controller = new LambdaController(options);
    this.weakLine = Array.from(seedScores, (group) => {
      const mean = Array.from(group).reduce((sum, score) => sum + score, 0) / Math.max(1, group.length);
      return threshold + WEAK_FRACTION * Math.max(0, mean - threshold);
    });
  }

  get lambda(): number {
    return this.controller.lambda;
  }

  /** The cost the controller steers: each channel counted by its share (see the class). */
  steeringCost(regularizer: SteeredRegularizer): number {
    const shares = regularizer.readScores().map((group, g) => {
      const span = this.weakLine[g] - this.threshold;
      return Array.from(group, (score) => (span > 0 ? Math.min(1, Math.max(0, (score - this.threshold) / span)) : score > this.threshold ? 1 : 0));
    });
    return regularizer.costAtShares(shares);
  }

  /** After step `step`: the lambda for the next step (the scores are read only when the controller is due). */
  afterStep(step: number, regularizer: SteeredRegularizer): number {
    if (!this.controller.due(step)) return this.lambda;
    return this.controller.update(step, this.steeringCost(regularizer));
  }

  /**
   * The structure at the end of a goal-seeking shrink. The threshold's alive channels are kept
   * when their cost is within SETTLE_TOLERANCE of the goal. Otherwise the undecided channels
   * decide by the goal: those in each group's band from threshold^2 / weak line to the weak line
   * (as far under the threshold, in ratio, as the weak line is above it), ranked by where their
   * score sits in that band on a log scale (0 at the threshold, 1 at the weak line, -1 at the
   * band's foot). The ranked channels alive are a prefix of that order, and the prefix whose cost
   * is nearest the goal wins; the threshold's own structure is one of the prefixes. Channels at or
   * above the weak line stay alive and channels under the band stay dead, so a goal the band cannot
   * reach is missed and the miss shows in the result.
   */
  settle(regularizer: SteeredRegularizer, scores: Float32Array[] = regularizer.readScores()): Settlement {
    const goal = this.controller.options.goal;
    const atThreshold = scores.map((group) => Array.from(group, (score) => (score > this.threshold ? 1 : 0)));
    const thresholdCost = regularizer.costAtShares(atThreshold);
    const miss = (cost: number) => Math.abs(cost / goal - 1);
    if (miss(thresholdCost) <= SETTLE_TOLERANCE) return { alive: atThreshold, thresholdCost, cost: thresholdCost, cut: 0, kept: 0 };

    const band = this.undecided(scores);
    const alive = scores.map((group, g) => Array.from(group, (score) => (score >= this.weakLine[g] ? 1 : 0)));
    const thresholdCount = band.filter((channel) => channel.position > 0).length;
    let best = { count: thresholdCount, cost: thresholdCost };
    for (let count = 0; count <= band.length; count += 1) {
      if (count > 0) alive[band[count - 1].group][band[count - 1].channel] = 1;
      if (count === thresholdCount) continue;
      const cost = regularizer.costAtShares(alive);
      const closer = miss(cost) < miss(best.cost) || (miss(cost) === miss(best.cost) && Math.abs(count - thresholdCount) < Math.abs(best.count - thresholdCount));
      if (closer) best = { count, cost };
    }
    band.forEach((channel, rank) => {
      alive[channel.group][channel.channel] = rank < best.count ? 1 : 0;
    });
    return {
      alive,
      thresholdCost,
      cost: best.cost,
      cut: Math.max(0, thresholdCount - best.count),
      kept: Math.max(0, best.count - thresholdCount),
    };
  }

  /** The channels of settle()'s band, highest position first. */
  private undecided(scores: Float32Array[]): { group: number; channel: number; position: number }[] {
    const band: { group: number; channel: number; position: number }[] = [];
    scores.forEach((group, g) => {
      const upper = this.weakLine[g];
      if (!(upper > this.threshold && this.threshold > 0)) return;
      const logSpan = Math.log(upper / this.threshold);
      group.forEach((score, channel) => {
        const position = Math.log(score / this.threshold) / logSpan;
        if (position >= -1 && position < 1) band.push({ group: g, channel, position });
      });
    });
    return band.sort((a, b) => b.position - a.position);
  }

  state(): { lambda: number } {
    return this.controller.state();
  }

  restore(state: { lambda: number }): number {
    return this.controller.restore(state);
  }
}

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

  state(): { lambda: number } {
    return this.controller.state();
  }

  restore(state: { lambda: number }): number {
    return this.controller.restore(state);
  }
}

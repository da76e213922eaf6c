/**
 * Steers the regularizer strength lambda so that the alive cost approaches a goal
 * (`shrink.goal`), then holds it so the structure settles.
 *
 * The cost is steered along a path, not straight at the goal: channels die many steps after
 * the pressure that kills them, so a controller aiming at the goal from the start keeps
 * raising lambda while nothing has died yet and then overshoots far below the goal. The path
 * falls geometrically from the seed's cost to the goal by `approachUntil`, then stays there:
 *   reference(step) = seedCost * (goal / seedCost) ^ min(1, step / approachUntil)
 * The cost it is given is the goal steering's (goal-steering.ts: weak channels counted in part).
 * Every `updateEvery` steps before `holdFrom`, with the error e = ln(cost / reference(step)):
 *   |cost / reference - 1| <= deadBand  ->  lambda unchanged (close enough)
 *   otherwise                           ->  ln lambda += clamp(gain * e, -maxStep, maxStep)
 * A cost above the path raises lambda (more pressure), one below lowers it. Multiplicative
 * steps suit lambda, whose useful values span orders of magnitude.
 */
export interface LambdaControllerOptions {
  /** The cost of the target resource to reach. */
  goal: number;
  /** The seed's cost, where the path starts. */
  seedCost: number;
  /** The step from which the path is at the goal. */
  approachUntil: number;
  initialLambda: number;
  /** Steps between updates. */
  updateEvery: number;
  /** The first step at which lambda is held fixed to the end. */
  holdFrom: number;
  /** Relative distance from the goal inside which lambda is left alone. */
  deadBand: number;
  /** ln lambda changes by gain * ln(cost / goal) per update... */
  gain: number;
  /** ...by at most this much. */
  maxStep: number;
}

/**
 * Defaults: the path reaches the goal at half of the run, lambda is held over the last 25%;
 * up to 100 updates before the hold, at least 10 steps apart (momentum's time constant at
 * 0.9), a 2% dead band, lambda changing by at most 10% per update.
 */
export function defaultControllerOptions(goal: number, seedCost: number, initialLambda: number, totalSteps: number): LambdaControllerOptions {
  const holdFrom = Math.floor(0.75 * totalSteps);
  return { goal, seedCost, approachUntil: Math.floor(0.5 * totalSteps), initialLambda, updateEvery: Math.max(10, Math.floor(holdFrom / 100)), holdFrom, deadBand: 0.02, gain: 0.5, maxStep: Math.log(1.1) };
}

export class LambdaController {
  /** Kept as lambda itself (not its log) so that a checkpoint restores it bit for bit. */
  private current: number;

  constructor(readonly options: LambdaControllerOptions) {
    if (!(options.goal > 0) || !(options.seedCost > 0) || !(options.initialLambda > 0)) {
      throw new Error(`LambdaController needs a positive goal, seed cost and initial lambda, received ${options.goal}, ${options.seedCost} and ${options.initialLambda}`);
    }
    this.current = options.initialLambda;
  }

  get lambda(): number {
    return this.current;
  }

  /** The state a checkpoint keeps. */
  state(): { lambda: number } {
    return { lambda: this.current };
  }

  /** Restores a checkpoint's state; returns its lambda. */
  restore(state: { lambda: number }): number {
    this.current = state.lambda;
    return state.lambda;
  }

  /** True from `holdFrom` on: lambda no longer changes. */
  holding(step: number): boolean {
    return step >= this.options.holdFrom;
  }

  /** The cost the path asks for after `step` steps. */
  reference(step: number): number {
    const { goal, seedCost, approachUntil } = this.options;
    const progress = approachUntil > 0 ? Math.min(1, step / approachUntil) : 1;
    return seedCost * (goal / seedCost) ** progress;
  }

  /** True when update() at this step may change lambda: every `updateEvery` steps before the hold. */
  due(step: number): boolean {
    return !this.holding(step) && step % this.options.updateEvery === 0;
  }

  /** After step `step` (1-based count of steps done) with this cost: the lambda for the next step. */
  update(step: number, cost: number): number {
    const { deadBand, gain, maxStep } = this.options;
    if (!this.due(step)) return this.lambda;
    const reference = this.reference(step);
    if (Math.abs(cost / reference - 1) <= deadBand) return this.current;
    const error = Math.log(Math.max(cost, Number.MIN_VALUE) / reference);
    this.current *= Math.exp(Math.min(maxStep, Math.max(-maxStep, gain * error)));
    return this.current;
  }
}

/** The cost shrink.goal asks for: a share of the seed's cost ("50%") or an amount as given. */
export function goalCost(goal: string | number, seedCost: number): number {
  return typeof goal === 'number' ? goal : (Number.parseFloat(goal) / 100) * seedCost;
}

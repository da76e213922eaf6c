import { z } from 'zod';
import { parsePercent } from './percent.js';
import { parseSiNumber } from './si-number.js';

/**
 * The `sweep:` section of an experiment config (`morphnet sweep CONFIG`, DESIGN.md "Wave 2
 * additions"). Its output parses again to itself, so a resolved config stays a valid config.
 */

/** The arms a sweep can train, in the order tables list them (src/sweep/arms.ts defines each). */
export const SWEEP_ARMS = ['morphnet', 'uniform', 'seed'] as const;
export const SWEEP_PICKS = ['closest', 'all'] as const;

const BUDGET_EXPECTATION = 'expected a fraction of the seed\'s cost (0.25, "50%") or an amount of the target resource with an optional SI suffix (7.5M, 45k)';

/**
 * A budget: a fraction of the seed's cost (a number in (0, 1], or a percentage up to 100%), or
 * an absolute amount of the target resource (a number above 1, or an SI string such as 7.5M).
 * Resolves to one number: at most 1 is a fraction, above 1 an amount.
 */
const budgetSchema = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const percent = parsePercent(value);
  const parsed = percent !== undefined ? percent / 100 : parseSiNumber(value);
  if (parsed === undefined || !(parsed > 0)) {
    ctx.addIssue({ code: 'custom', message: BUDGET_EXPECTATION });
    return z.NEVER;
  }
  if (percent !== undefined && parsed > 1) {
    ctx.addIssue({ code: 'custom', message: 'expected at most 100% (the seed\'s own cost)' });
    return z.NEVER;
  }
  return parsed;
});

const STRENGTHS_EXPECTATION = 'a list of strengths ([1e-7, 3e-7]), a log grid ({grid: log, count: 5, factor: 3}), or goal (one shrink per budget, seeking it)';

const distinct = <T>(values: T[]) => new Set(values).size === values.length;

/** `{grid: log, around: auto, count: 5, factor: 3}`: count strengths `factor` apart, centred (geometrically) on `around`. */
const logGridSchema = z.strictObject({
  grid: z.literal('log'),
  /** auto: 1 / (the seed's cost of the target resource), the strength `shrink.strength: auto` uses. */
  around: z.union([z.literal('auto'), z.number().positive()]).default('auto'),
  count: z.number().int().positive().default(5),
  factor: z.number().gt(1).default(3),
});

export const sweepSchema = z
  .strictObject({
    /**
     * lambda values, one shrink each; or a log grid around 1 / (the seed's cost); or `goal`: one
     * shrink per budget, its lambda steered toward that budget (shrink.goal).
     */
    strengths: z
      .union([z.array(z.number().min(0)).min(1).refine(distinct, { message: 'expected distinct strengths' }), logGridSchema, z.literal('goal')], { error: STRENGTHS_EXPECTATION })
      .default({ grid: 'log', around: 'auto', count: 5, factor: 3 }),
    /** Budgets of `resource`, each a fraction of the seed's cost or an amount. */
    budgets: z.array(budgetSchema).min(1).refine(distinct, { message: 'expected distinct budgets' }),
    /**
     * The resource the budgets bound, which the arms are expanded to and compared at: shrink.target
     * when absent. Another one expands a shape learned under one resource to a budget of another
     * (a size-regularized shape at a FLOP budget).
     */
    resource: z.enum(['flops', 'size', 'latency', 'activations']).optional(),
    /** Seeds of the retraining (and the data order); the shrinks use the config's seed. */
    seeds: z.array(z.number().int().min(0)).min(1).refine(distinct, { message: 'expected distinct seeds' }).default([1, 2, 3]),
    arms: z.array(z.enum(SWEEP_ARMS)).min(1).refine(distinct, { message: 'expected distinct arms' }).default([...SWEEP_ARMS]),
    /** closest: per budget the shrink whose learned cost is closest to it; all: every shrink for every budget. */
    pick: z.enum(SWEEP_PICKS).default('closest'),
  })
  .refine((sweep) => !(sweep.strengths === 'goal' && sweep.resource !== undefined), {
    path: ['resource'],
    message: 'expected no resource with strengths: goal (each shrink seeks its budget in shrink.target); remove resource, or list strengths',
  })
  .refine((sweep) => !(sweep.strengths === 'goal' && sweep.pick === 'all'), {
    path: ['pick'],
    message: "expected closest with strengths: goal (each budget is served by the shrink that sought it); remove pick, or list strengths to compare every shrink at every budget",
  });

export type SweepConfig = z.output<typeof sweepSchema>;
export type SweepArm = (typeof SWEEP_ARMS)[number];
export type SweepPick = (typeof SWEEP_PICKS)[number];
export type StrengthGrid = z.output<typeof logGridSchema>;

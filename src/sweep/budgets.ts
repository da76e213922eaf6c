import { formatSi } from '../config/si-number.js';
import type { SweepConfig } from '../config/sweep-schema.js';
import { configError } from '../errors.js';

/** The resources a budget can bound (shrink.target), as the cost model names them. */
export type BudgetResource = 'flops' | 'size' | 'latency' | 'activations';

const UNITS: Record<BudgetResource, string> = { flops: 'FLOPs', size: 'params', latency: 'ms', activations: 'activations' };

/** A sweep's headline: `target flops, seed 33.7M FLOPs`, with `(shrinks regularize size)` when sweep.resource differs from shrink.target. */
export const sweepTargetText = (summary: { target: BudgetResource; shrinkTarget?: BudgetResource; seedCost: number }) =>
  `target ${summary.target}${summary.shrinkTarget ? ` (shrinks regularize ${summary.shrinkTarget})` : ''}, seed ${formatAmount(summary.target, summary.seedCost)}`;

/** `14.9M FLOPs`, `94.2k params`, `3.5 ms`. */
export const formatAmount = (resource: BudgetResource, value: number) => `${formatSi(value)} ${UNITS[resource]}`;

/** A budget resolved against the seed's cost. */
export interface Budget {
  /** In run dir names: `50pct` for a fraction, `7.5M` (`3.5ms` for latency) for an amount. */
  label: string;
  /** The budget in the target resource. */
  amount: number;
  /** The fraction of the seed's cost it was given as; absent for an amount. */
  fraction?: number;
}

/** `50pct`, `12.5pct`, `33.33pct`. */
export const fractionLabel = (fraction: number) => `${Number((100 * fraction).toPrecision(4))}pct`;

/** The seed's own cost as a budget: where the seed arm trains. */
export const seedBudget = (seedCost: number): Budget => ({ label: fractionLabel(1), amount: seedCost, fraction: 1 });

/**
 * The budgets of a sweep in the target resource: a value at most 1 is a fraction of the seed's
 * cost, above 1 an amount. A budget above the seed's cost, or two budgets with one name, is a
 * config error naming the key.
 */
export function resolveBudgets(values: number[], seedCost: number, resource: BudgetResource): Budget[] {
  const budgets = values.map((value, index): Budget => {
    const budget = value <= 1 ? { label: fractionLabel(value), amount: value * seedCost, fraction: value } : { label: `${formatSi(value)}${resource === 'latency' ? 'ms' : ''}`, amount: value };
    if (budget.amount > seedCost) {
      throw configError(
        `sweep.budgets.${index}: ${formatAmount(resource, budget.amount)} is above the seed's own cost, ${formatAmount(resource, seedCost)}; expected a budget at most the seed's cost`,
        `use a fraction up to 1 ("100%") or an amount up to ${formatSi(seedCost)}`,
      );
    }
    return budget;
  });
  assertDistinctNames('sweep.budgets', budgets.map((b, i) => ({ name: b.label, value: values[i] })), 'give budgets that differ in the first 3 significant digits');
  return budgets;
}

/**
 * `strengths: goal` shrinks toward each budget (shrink.goal), which must lie below the seed's
 * cost: a budget at the seed's cost (100%) is a config error naming the key and the fix.
 */
export function assertGoalBudgets(budgets: Budget[], seedCost: number, resource: BudgetResource): void {
  const index = budgets.findIndex((budget) => budget.amount >= seedCost);
  if (index < 0) return;
  throw configError(
    `sweep.budgets.${index}: ${formatAmount(resource, budgets[index].amount)} is the seed's own cost, and strengths: goal shrinks toward each budget; expected budgets below the seed's ${formatAmount(resource, seedCost)}`,
    'remove that budget (the seed arm trains the seed network at its own cost), or list strengths instead of goal',
  );
}

/** Strength as it names its shrink: `6.71e-8`, `1e-7`, `0`. */
export function strengthLabel(strength: number): string {
  if (strength === 0) return '0';
  const [mantissa, exponent] = strength.toExponential(2).split('e');
  return `${mantissa.replace(/\.?0+$/, '')}e${exponent.replace('+', '')}`;
}

/** A shrink in tables: its strength (`1e-7`), or its goal and the lambda the steering ended at (`goal 25% (λ 1.2e-5)`). */
export const shrinkLabel = (strength: number, goal?: string) => (goal !== undefined ? `goal ${goal} (λ ${strengthLabel(strength)})` : strengthLabel(strength));

/**
 * The strengths of a sweep: the listed ones, or `count` strengths `factor` apart whose
 * geometric middle is `around` (auto: 1 / the seed's cost, as `shrink.strength: auto`).
 */
export function resolveStrengths(spec: Exclude<SweepConfig['strengths'], 'goal'>, seedCost: number): number[] {
  const strengths = Array.isArray(spec)
    ? spec
    : Array.from({ length: spec.count }, (_, i) => (spec.around === 'auto' ? 1 / seedCost : spec.around) * spec.factor ** (i - (spec.count - 1) / 2));
  assertDistinctNames('sweep.strengths', strengths.map((s) => ({ name: strengthLabel(s), value: s })), 'space the strengths at least 1% apart');
  return strengths;
}

function assertDistinctNames(key: string, items: Array<{ name: string; value: number }>, fix: string): void {
  const seen = new Map<string, number>();
  for (const item of items) {
    const earlier = seen.get(item.name);
    if (earlier !== undefined) throw configError(`${key}: ${earlier} and ${item.value} both name the run dirs "${item.name}"; expected values that name distinct run dirs`, fix);
    seen.set(item.name, item.value);
  }
}

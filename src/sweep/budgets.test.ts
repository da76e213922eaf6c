import { describe, expect, it } from 'vitest';
import { MorphnetError } from '../errors.js';
import { assertGoalBudgets, resolveBudgets, resolveStrengths, shrinkLabel, strengthLabel, sweepTargetText } from './budgets.js';

const thrown = (fn: () => unknown): MorphnetError => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(MorphnetError);
    return error as MorphnetError;
  }
  throw new Error('expected a MorphnetError');
};

describe('budgets', () => {
  it('fractions of the seed\'s cost and absolute amounts', () => {
    // The seed costs 14.9M FLOPs: 0.25 -> 3.725M, 0.5 -> 7.45M; 7.5M stays 7.5M.
    expect(resolveBudgets([0.25, 0.5, 7.5e6], 14.9e6, 'flops')).toEqual([
      { label: '25pct', amount: 0.25 * 14.9e6, fraction: 0.25 },
      { label: '50pct', amount: 0.5 * 14.9e6, fraction: 0.5 },
      { label: '7.5M', amount: 7.5e6 },
    ]);
    expect(resolveBudgets([0.125, 1], 1000, 'size').map((b) => b.label)).toEqual(['12.5pct', '100pct']);
    expect(resolveBudgets([3.5], 10, 'latency')).toEqual([{ label: '3.5ms', amount: 3.5 }]);
  });

  it('a budget above the seed\'s cost is a config error naming the key, the value, the seed\'s cost and the fix', () => {
    const error = thrown(() => resolveBudgets([0.5, 20e6], 14.9e6, 'flops'));
    expect(error.kind).toBe('config');
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe("sweep.budgets.1: 20M FLOPs is above the seed's own cost, 14.9M FLOPs; expected a budget at most the seed's cost");
    expect(error.hint).toBe('use a fraction up to 1 ("100%") or an amount up to 14.9M');
  });

  it('two budgets with one name are refused', () => {
    // Amounts are named with 3 significant digits: 7.451M and 7.449M both become "7.45M".
    const error = thrown(() => resolveBudgets([7.451e6, 7.449e6], 14.9e6, 'flops'));
    expect(error.message).toContain('sweep.budgets: 7451000 and 7449000 both name the run dirs "7.45M"');
  });
});

describe('budgets of goal shrinks', () => {
  it('must lie below the seed\'s cost: a shrink cannot seek the cost it starts at', () => {
    const seedCost = 14.9e6;
    expect(() => assertGoalBudgets(resolveBudgets([0.25, 7.5e6], seedCost, 'flops'), seedCost, 'flops')).not.toThrow();
    // "100%" resolves to 1 * 14.9M: the seed's own cost.
    const error = thrown(() => assertGoalBudgets(resolveBudgets([0.25, 1], seedCost, 'flops'), seedCost, 'flops'));
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe("sweep.budgets.1: 14.9M FLOPs is the seed's own cost, and strengths: goal shrinks toward each budget; expected budgets below the seed's 14.9M FLOPs");
    expect(error.hint).toBe('remove that budget (the seed arm trains the seed network at its own cost), or list strengths instead of goal');
  });
});

describe('strengths', () => {
  it('a log grid around 1 / the seed\'s cost, factor apart', () => {
    // count 3, factor 3, around 1 / 1e6: 1e-6 / 3, 1e-6, 3e-6.
    const grid = resolveStrengths({ grid: 'log', around: 'auto', count: 3, factor: 3 }, 1e6);
    expect(grid.map((s) => s / 1e-6)).toEqual([expect.closeTo(1 / 3, 12), 1, expect.closeTo(3, 12)]);
    // count 2, factor 4, around 2: the geometric middle is 2, so 1 and 4.
    expect(resolveStrengths({ grid: 'log', around: 2, count: 2, factor: 4 }, 1e6)).toEqual([1, 4]);
  });

  it('a list is taken as given; labels have 3 significant digits', () => {
    expect(resolveStrengths([1e-7, 3e-7], 1e6)).toEqual([1e-7, 3e-7]);
    expect([1e-7, 1.5e-7, 6.711409395973154e-8, 0, 2, 1 / 3].map(strengthLabel)).toEqual(['1e-7', '1.5e-7', '6.71e-8', '0', '2e0', '3.33e-1']);
  });

  it('a goal shrink reads as its goal and the lambda its steering ended at', () => {
    expect(shrinkLabel(1.234e-5, '25%')).toBe('goal 25% (λ 1.23e-5)');
    expect(shrinkLabel(1e-7)).toBe('1e-7');
  });

  it('strengths that would share a run dir are refused', () => {
    expect(thrown(() => resolveStrengths([1e-7, 1.0001e-7], 1e6)).message).toContain('both name the run dirs "1e-7"');
  });
});

describe('sweepTargetText', () => {
  it('names the budgets\' resource and the seed\'s cost in it, and the shrinks\' target when it differs', () => {
    expect(sweepTargetText({ target: 'flops', seedCost: 33_659_904 })).toBe('target flops, seed 33.7M FLOPs');
    expect(sweepTargetText({ target: 'flops', shrinkTarget: 'size', seedCost: 33_659_904 })).toBe('target flops (shrinks regularize size), seed 33.7M FLOPs');
  });
});

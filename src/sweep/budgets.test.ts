import { describe, expect, it } from 'vitest';
import { MorphnetError } from '../errors.js';
import { resolveBudgets, resolveStrengths, strengthLabel } from './budgets.js';

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

  it('strengths that would share a run dir are refused', () => {
    expect(thrown(() => resolveStrengths([1e-7, 1.0001e-7], 1e6)).message).toContain('both name the run dirs "1e-7"');
  });
});

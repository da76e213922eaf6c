import { describe, expect, it } from 'vitest';
import { configDifferences, sameValue } from './config-diff.js';

describe('config differences', () => {
  it('names each differing key with both values; key order does not matter', () => {
    const before = { model: { zoo: 'cnn' }, shrink: { threshold: 0.01, steps: 4 }, sweep: { budgets: [0.5] } };
    const after = { sweep: { budgets: [0.25] }, shrink: { steps: 4, threshold: 0.02 }, model: { zoo: 'cnn' } };
    expect(configDifferences(before, after)).toEqual([
      { path: 'shrink.threshold', before: 0.01, after: 0.02 },
      { path: 'sweep.budgets', before: [0.5], after: [0.25] },
    ]);
    expect(sameValue({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 })).toBe(true);
  });

  it('a key only one side has is a difference; undefined equals missing', () => {
    expect(configDifferences({ a: 1 }, { a: 1, b: 2 })).toEqual([{ path: 'b', before: undefined, after: 2 }]);
    expect(configDifferences({ a: 1, b: undefined }, { a: 1 })).toEqual([]);
  });
});

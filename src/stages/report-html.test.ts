import { describe, expect, it } from 'vitest';
import { niceTicks, separateLabels } from './report-html.js';

describe('niceTicks', () => {
  it('covers the range with round steps of 1, 2 or 5 times a power of ten', () => {
    // 14.9M / 5 = 2.98M -> the next round step is 5M, and the last tick 15M covers 14.9M.
    expect(niceTicks(0, 14.9e6, 5)).toEqual([0, 5e6, 10e6, 15e6]);
    // Steps 1..200: 199 / 5 = 39.8 -> 50, starting at the round 0 below step 1.
    expect(niceTicks(1, 200, 5)).toEqual([0, 50, 100, 150, 200]);
    // A layer grown to 138% of its seed: the axis ends at 150%.
    expect(niceTicks(0, 138, 5)).toEqual([0, 50, 100, 150]);
    // Accuracies 65% .. 71.7%: 6.7 / 4 = 1.675 -> 2, from 64 to 72.
    expect(niceTicks(65, 71.7, 4)).toEqual([64, 66, 68, 70, 72]);
  });

  it('prints no floating-point noise and survives a flat series', () => {
    expect(niceTicks(0, 0.7, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8]);
    expect(niceTicks(0, 0)).toEqual([0, 0.2]);
    expect(niceTicks(5, 5).length).toBeGreaterThan(1);
  });
});

describe('separateLabels', () => {
  it('moves a label down only as far as it must to clear the one above, in the caller\'s order', () => {
    // 100 and 105 are 5 px apart: the lower one moves to 100 + 14; 50 stays.
    expect(separateLabels([100, 105, 50], 14)).toEqual([100, 114, 50]);
    expect(separateLabels([10, 40], 14)).toEqual([10, 40]);
  });
});

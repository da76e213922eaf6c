import { describe, expect, it } from 'vitest';
import { nearestMultiple, roundWidths } from './round-widths.js';

/** Cost of a chain of groups: sum of weight[g] * width[g] (hand-checkable). */
const linearCost = (weights: number[]) => (widths: number[]) => widths.reduce((sum, w, g) => sum + weights[g] * w, 0);

describe('roundWidths', () => {
  it('rounds each prunable group to its nearest multiple, halves up; fixed groups and removed ones stay', () => {
    // 13 -> 16 (3 away from 16, 5 from 8); 11 -> 8; 12 -> 16 (a half goes up); 3 is fixed; 0 stays removed.
    const widths = roundWidths([13, 11, 12, 3, 0], 8, { fixed: [false, false, false, true, false] });
    expect(widths).toEqual([16, 8, 16, 3, 0]);
  });

  it('takes a group narrower than one step up to one step (0 would remove its branch), and never passes a maximum width', () => {
    // 5 < 8: up to one step, 8. 3 < 8 with max 6: 8 is past the max, no multiple of 8 fits: stays 3.
    // 30 with max 30: 32 is past it, the largest multiple within is 24.
    const widths = roundWidths([5, 3, 30], 8, { fixed: [false, false, false], maxWidths: [64, 6, 30] });
    expect(widths).toEqual([8, 3, 24]);
  });

  it('holds the budget: groups that went up go back down, the largest saving first', () => {
    // Given widths 13, 14, 20 with weights 1, 10, 1: cost 13 + 140 + 20 = 173, the budget.
    // Nearest multiples of 4: 12, 16, 20 -> cost 12 + 160 + 20 = 192 > 173.
    // Only group 1 went up; back to 12: 12 + 120 + 20 = 152 <= 173.
    const cost = linearCost([1, 10, 1]);
    const widths = roundWidths([13, 14, 20], 4, { fixed: [false, false, false], cost, budget: 173 });
    expect(widths).toEqual([12, 12, 20]);
    expect(cost(widths)).toBe(12 + 120 + 20);
  });

  it('undoes the rounding that saves the most first, and stops as soon as the budget holds', () => {
    // Widths 7, 7 (weights 3, 1): cost 28 = budget 30 - 2. Nearest multiples of 4: 8, 8 -> 32 > 30.
    // Group 0 back to 4 saves 12 (-> 20), group 1 saves 4 (-> 28): group 0 goes first, then 20 <= 30.
    const cost = linearCost([3, 1]);
    expect(roundWidths([7, 7], 4, { fixed: [false, false], cost, budget: 30 })).toEqual([4, 8]);
  });

  it('nearestMultiple rounds one width as roundWidths does without a budget', () => {
    // 12 -> 16 (a half goes up), 11 -> 8, 5 -> 8 (narrower than one step), 3 with max 6 stays 3, 30 with max 30 -> 24.
    expect([nearestMultiple(12, 8), nearestMultiple(11, 8), nearestMultiple(5, 8), nearestMultiple(3, 8, 6), nearestMultiple(30, 8, 30)]).toEqual([16, 8, 8, 3, 24]);
  });
});

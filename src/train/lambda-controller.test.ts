import { describe, expect, it } from 'vitest';
import { defaultControllerOptions, goalCost, LambdaController } from './lambda-controller.js';

/** Steering straight at the goal (approachUntil 0: the path is at the goal from the start). */
const controller = () => new LambdaController({ goal: 100, seedCost: 400, approachUntil: 0, initialLambda: 1, updateEvery: 2, holdFrom: 10, deadBand: 0.02, gain: 0.5, maxStep: Math.log(1.1) });

describe('LambdaController', () => {
  it('raises lambda at most x1.1 per update while the cost is above the goal', () => {
    const c = controller();
    expect(c.update(1, 200)).toBe(1); // step 1 is not an update step (every 2)
    // ln(200 / 100) = 0.693, x gain 0.5 = 0.347, clamped to ln 1.1: lambda 1 -> 1.1
    expect(c.update(2, 200)).toBeCloseTo(1.1, 12);
  });

  it('leaves lambda alone inside the dead band and lowers it in proportion below the goal', () => {
    const c = controller();
    c.update(2, 200); // 1.1
    expect(c.update(4, 101)).toBeCloseTo(1.1, 12); // |101 / 100 - 1| = 0.01 <= 0.02
    // ln(90 / 100) x 0.5 = ln(0.9^0.5): 1.1 x sqrt(0.9) = 1.1 x 0.9486833 = 1.0435516
    expect(c.update(6, 90)).toBeCloseTo(1.0435516, 6);
    // a cost of 0: the largest step down, 1.0435516 / 1.1 = 0.9486833
    expect(c.update(8, 0)).toBeCloseTo(0.9486833, 6);
  });

  it('holds lambda from holdFrom to the end, and restores a checkpoint exactly', () => {
    const c = controller();
    c.update(2, 200);
    expect(c.holding(9)).toBe(false);
    expect(c.holding(10)).toBe(true);
    expect(c.update(10, 500)).toBeCloseTo(1.1, 12);
    expect(c.update(12, 1)).toBeCloseTo(1.1, 12);
    const resumed = controller();
    expect(resumed.restore(c.state())).toBe(c.lambda);
    expect(resumed.update(12, 1)).toBe(c.lambda);
  });

  it('steers along a path falling geometrically from the seed cost to the goal', () => {
    const c = new LambdaController({ ...defaultControllerOptions(100, 400, 1, 20), updateEvery: 5 });
    // approachUntil = 20 / 2 = 10: 400 x (100 / 400)^(step / 10)
    expect(c.reference(0)).toBe(400);
    expect(c.reference(5)).toBeCloseTo(200, 9); // 400 x 0.25^0.5
    expect(c.reference(10)).toBeCloseTo(100, 9);
    expect(c.reference(15)).toBeCloseTo(100, 9);
    // At step 5 a cost of 203 is within 2% of the path's 200 (though twice the goal): lambda stays 1.
    expect(c.update(5, 203)).toBe(1);
    // At step 10 a cost of 90 is 0.9 of the path: ln 0.9 x 0.5 = ln sqrt(0.9), lambda 0.9486833.
    expect(c.update(10, 90)).toBeCloseTo(0.9486833, 6);
  });

  it('defaults: the path reaches the goal at half of the run, updates at least 10 steps apart, the hold over the last 25%', () => {
    // 1000 steps: approach until 500, hold from 750, update every max(10, floor(750 / 100) = 7) = 10 steps
    expect(defaultControllerOptions(5, 50, 0.1, 1000)).toMatchObject({ goal: 5, seedCost: 50, initialLambda: 0.1, approachUntil: 500, holdFrom: 750, updateEvery: 10, deadBand: 0.02 });
    expect(defaultControllerOptions(5, 50, 0.1, 4000).updateEvery).toBe(30); // floor(3000 / 100)
  });

  it('refuses a goal, seed cost or lambda that is not positive', () => {
    expect(() => new LambdaController(defaultControllerOptions(0, 50, 1, 10))).toThrow(/positive goal/);
  });
});

describe('goalCost', () => {
  it('reads a share of the seed cost or takes an amount as given', () => {
    expect(goalCost('50%', 14.9e6)).toBe(7.45e6);
    expect(goalCost('12.5%', 8)).toBe(1);
    expect(goalCost(7.5e6, 14.9e6)).toBe(7.5e6);
  });
});

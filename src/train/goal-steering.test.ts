import { describe, expect, it } from 'vitest';
import { GoalSteering, type SteeredRegularizer } from './goal-steering.js';
import { LambdaController, type LambdaControllerOptions } from './lambda-controller.js';

/** A regularizer of two groups of two channels whose cost is the sum of share x weight: weights 10, 20 and 30, 40. */
function fakeRegularizer(scores: number[][]): SteeredRegularizer & { reads: number } {
  const weights = [
    [10, 20],
    [30, 40],
  ];
  const fake = {
    reads: 0,
    readScores: () => {
      fake.reads += 1;
      return scores.map((group) => Float32Array.from(group));
    },
    costAtShares: (shares: ArrayLike<number>[]) => shares.reduce((sum, group, g) => sum + Array.from(group).reduce((s, share, k) => s + share * weights[g][k], 0), 0),
  };
  return fake;
}

/** The path at the goal from the start (approachUntil 0), updates every 10 steps, hold from step 100. */
const OPTIONS: LambdaControllerOptions = { goal: 50, seedCost: 100, approachUntil: 0, initialLambda: 1, updateEvery: 10, holdFrom: 100, deadBand: 0.02, gain: 0.5, maxStep: Math.log(1.1) };
// Seed means: group 0 (1 + 1) / 2 = 1, group 1 (0.5 + 0.5) / 2 = 0.5.
const SEED = [
  [1, 1],
  [0.5, 0.5],
];

describe('GoalSteering', () => {
  it('draws each group\'s weak line a tenth of the way from the threshold to its seed mean', () => {
    const steering = new GoalSteering(OPTIONS, 0.01, SEED);
    // 0.01 + 0.1 x (1 - 0.01) = 0.109; 0.01 + 0.1 x (0.5 - 0.01) = 0.059
    expect(steering.weakLine[0]).toBeCloseTo(0.109, 12);
    expect(steering.weakLine[1]).toBeCloseTo(0.059, 12);
  });

  it('counts a channel in full above its weak line, nothing at the threshold, in proportion between', () => {
    const steering = new GoalSteering(OPTIONS, 0.01, SEED);
    // group 0: 0.5 >= 0.109 -> 1; 0.0595 -> (0.0595 - 0.01) / (0.109 - 0.01) = 0.5
    // group 1: 0.01 -> 0; 0.2 >= 0.059 -> 1.   Cost: 1 x 10 + 0.5 x 20 + 0 x 30 + 1 x 40 = 60
    expect(steering.steeringCost(fakeRegularizer([[0.5, 0.0595], [0.01, 0.2]]))).toBeCloseTo(60, 4);
  });

  it('steers lambda on that cost at the controller\'s update steps only, reading the scores only then', () => {
    const steering = new GoalSteering(OPTIONS, 0.01, SEED);
    const regularizer = fakeRegularizer([[0.5, 0.0595], [0.01, 0.2]]);
    expect(steering.afterStep(9, regularizer)).toBe(1);
    expect(regularizer.reads).toBe(0);
    // Step 10: cost 60 against the goal 50: ln(60 / 50) x 0.5 = 0.0912 < ln 1.1 = 0.0953: lambda x (6 / 5)^0.5 = 1.0954451
    expect(steering.afterStep(10, regularizer)).toBeCloseTo(1.0954451, 6);
    expect(regularizer.reads).toBe(1);
    // The alive cost (all four channels above the threshold 0.01 but one: 10 + 20 + 40 = 70) would have raised it more:
    expect(new LambdaController(OPTIONS).update(10, 70)).toBeCloseTo(1.1, 12);
  });

  it('restores a checkpoint\'s lambda exactly', () => {
    const steering = new GoalSteering(OPTIONS, 0.01, SEED);
    steering.afterStep(10, fakeRegularizer([[0.5, 0.0595], [0.01, 0.2]]));
    const resumed = new GoalSteering(OPTIONS, 0.01, SEED);
    expect(resumed.restore(JSON.parse(JSON.stringify(steering.state())))).toBe(steering.lambda);
  });
});

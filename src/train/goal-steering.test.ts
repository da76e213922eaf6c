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

  describe('settle: the structure at the end of the run', () => {
    // Threshold 0.01, weak lines 0.109 and 0.059; each group's band runs from 0.01^2 / weak line
    // (0.000917 and 0.001695) up to the weak line. Scores: (0,0) 0.5 and (1,1) 0.2 above their
    // weak lines, always alive; (0,1) 0.0595 at position ln(5.95) / ln(10.9) = 0.7466 in its band;
    // (1,0) 0.01 at position 0 (not above the threshold). At the threshold: 10 + 20 + 40 = 70.
    const SCORES = [
      [0.5, 0.0595],
      [0.01, 0.2],
    ];
    const settle = (goal: number, scores = SCORES) => new GoalSteering({ ...OPTIONS, goal }, 0.01, SEED).settle(fakeRegularizer(scores));

    it('keeps the threshold\'s structure within 2% of the goal', () => {
      // 70 / 71 - 1 = -1.4%
      expect(settle(71)).toEqual({ alive: [[1, 1], [0, 1]], thresholdCost: 70, cost: 70, cut: 0, kept: 0 });
    });

    it('cuts the weakest channels above the threshold when the cost is over the goal', () => {
      // Prefixes of the band, highest position first: none alive 10 + 40 = 50, (0,1) too 70, (1,0) too 100: 50 hits the goal 50.
      expect(settle(50)).toEqual({ alive: [[1, 0], [0, 1]], thresholdCost: 70, cost: 50, cut: 1, kept: 0 });
    });

    it('keeps channels of the band under the threshold when the cost is under the goal', () => {
      // Goal 95: 50 misses by 47%, 70 by 26%, 100 by 5.3%: (1,0), at the threshold, is kept.
      expect(settle(95)).toEqual({ alive: [[1, 1], [1, 1]], thresholdCost: 70, cost: 100, cut: 0, kept: 1 });
    });

    it('never keeps a channel under the band: the miss stands', () => {
      // (0,1) 0.0005 is at ln(0.05) / ln(10.9) = -1.254, under the band's foot at -1: nothing to settle. 10 + 30 + 40 = 80.
      expect(settle(95, [[0.5, 0.0005], [0.2, 0.2]])).toEqual({ alive: [[1, 0], [1, 1]], thresholdCost: 80, cost: 80, cut: 0, kept: 0 });
    });
  });

  it('restores a checkpoint\'s lambda exactly', () => {
    const steering = new GoalSteering(OPTIONS, 0.01, SEED);
    steering.afterStep(10, fakeRegularizer([[0.5, 0.0595], [0.01, 0.2]]));
    const resumed = new GoalSteering(OPTIONS, 0.01, SEED);
    expect(resumed.restore(JSON.parse(JSON.stringify(steering.state())))).toBe(steering.lambda);
  });
});

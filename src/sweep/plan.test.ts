import { describe, expect, it } from 'vitest';
import { seedBudget, type Budget } from './budgets.js';
import { assignShrinks, closestShrink, goalValue, planGoalShrinks, planShrinks, planTrainedRuns, seedArmShrink, type LearnedShrink } from './plan.js';

/**
 * A seed that costs 100 (FLOPs, say) and three shrinks whose learned structures cost
 * 80 (strength 1e-7), 50 (3e-7) and 20 (9e-7).
 */
const SEED_COST = 100;
const SHRINKS: LearnedShrink[] = [
  { name: 'shrink-1e-7', strength: 1e-7, cost: 80 },
  { name: 'shrink-3e-7', strength: 3e-7, cost: 50 },
  { name: 'shrink-9e-7', strength: 9e-7, cost: 20 },
];
const HALF: Budget = { label: '50pct', amount: 50, fraction: 0.5 };
const THIRTY: Budget = { label: '30pct', amount: 30, fraction: 0.3 };

const summary = (runs: ReturnType<typeof planTrainedRuns>) => runs.map((r) => ({ name: r.name, strength: r.shrink.strength, budget: r.budget.label, seed: r.seed, arms: r.arms.map((a) => `${a.arm}:${a.stage}`), baseline: r.baseline }));

describe('which shrink serves which budget', () => {
  it('closest: the learned cost nearest the budget', () => {
    // 50: |50 - 50| = 0 -> 3e-7. 30: |20 - 30| = 10 < |50 - 30| = 20 -> 9e-7. 100: |80 - 100| = 20 -> 1e-7.
    expect(closestShrink(50, SHRINKS).strength).toBe(3e-7);
    expect(closestShrink(30, SHRINKS).strength).toBe(9e-7);
    expect(closestShrink(100, SHRINKS).name).toBe('shrink-1e-7');
  });

  it('a tie goes to the larger strength', () => {
    // 35: |50 - 35| = 15 = |20 - 35| -> 9e-7, whichever order the shrinks come in.
    expect(closestShrink(35, SHRINKS).strength).toBe(9e-7);
    expect(closestShrink(35, [...SHRINKS].reverse()).strength).toBe(9e-7);
  });

  it('closest assigns one shrink per budget; all assigns every shrink and keeps the closest', () => {
    const strengths = (shrinks: LearnedShrink[]) => shrinks.map((s) => s.strength);
    expect(assignShrinks([HALF, THIRTY], SHRINKS, 'closest').map((a) => [a.budget.label, a.closest.strength, strengths(a.shrinks)])).toEqual([
      ['50pct', 3e-7, [3e-7]],
      ['30pct', 9e-7, [9e-7]],
    ]);
    expect(assignShrinks([HALF], SHRINKS, 'all').map((a) => [a.closest.strength, strengths(a.shrinks)])).toEqual([[3e-7, [1e-7, 3e-7, 9e-7]]]);
  });
});

describe('the sub-runs', () => {
  it('one shrink per strength, named by the strength', () => {
    expect(planShrinks([1e-7, 6.711409395973154e-8, 0])).toEqual([
      { name: 'shrink-1e-7', strength: 1e-7 },
      { name: 'shrink-6.71e-8', strength: 6.711409395973154e-8 },
      { name: 'shrink-0', strength: 0 },
    ]);
  });

  it('closest, every arm, 2 budgets, 2 seeds: MorphNet and uniform share a run dir per budget and seed, the seed once per seed', () => {
    const assignments = assignShrinks([HALF, THIRTY], SHRINKS, 'closest');
    const runs = planTrainedRuns({ assignments, shrinks: SHRINKS, seedCost: SEED_COST, seeds: [1, 2], arms: ['morphnet', 'uniform', 'seed'], pick: 'closest' });
    const perSeed = (seed: number) => [
      { name: `morphnet-50pct-seed${seed}`, strength: 3e-7, budget: '50pct', seed, arms: ['morphnet:retrain', 'uniform:baseline'], baseline: true },
      { name: `morphnet-30pct-seed${seed}`, strength: 9e-7, budget: '30pct', seed, arms: ['morphnet:retrain', 'uniform:baseline'], baseline: true },
      // The seed network is the uniform baseline at the seed's own cost, 100; the shrink closest to 100 is 1e-7.
      { name: `seed-seed${seed}`, strength: 1e-7, budget: '100pct', seed, arms: ['seed:baseline'], baseline: true },
    ];
    expect(summary(runs)).toEqual([...perSeed(1), ...perSeed(2)]);
    // Both budgets' run dirs of a seed come from different shrinks; the two seeds share each shrink.
    expect(new Set(runs.map((r) => r.shrink.strength))).toEqual(new Set([3e-7, 9e-7, 1e-7]));
  });

  it('all: MorphNet from every shrink (the strength in the name), uniform once, in the closest shrink\'s run dir', () => {
    const assignments = assignShrinks([HALF], SHRINKS, 'all');
    const runs = planTrainedRuns({ assignments, shrinks: SHRINKS, seedCost: SEED_COST, seeds: [1], arms: ['morphnet', 'uniform'], pick: 'all' });
    expect(summary(runs)).toEqual([
      { name: 'morphnet-50pct-1e-7-seed1', strength: 1e-7, budget: '50pct', seed: 1, arms: ['morphnet:retrain'], baseline: false },
      { name: 'morphnet-50pct-3e-7-seed1', strength: 3e-7, budget: '50pct', seed: 1, arms: ['morphnet:retrain', 'uniform:baseline'], baseline: true },
      { name: 'morphnet-50pct-9e-7-seed1', strength: 9e-7, budget: '50pct', seed: 1, arms: ['morphnet:retrain'], baseline: false },
    ]);
  });

  it('a 100% budget and the seed arm share one run dir: the uniform baseline at the seed\'s cost is the seed', () => {
    const assignments = assignShrinks([seedBudget(SEED_COST)], SHRINKS, 'closest');
    const runs = planTrainedRuns({ assignments, shrinks: SHRINKS, seedCost: SEED_COST, seeds: [4], arms: ['morphnet', 'uniform', 'seed'], pick: 'closest' });
    expect(summary(runs)).toEqual([{ name: 'morphnet-100pct-seed4', strength: 1e-7, budget: '100pct', seed: 4, arms: ['morphnet:retrain', 'uniform:baseline', 'seed:baseline'], baseline: true }]);
  });

  it('arms without MorphNet name the run dir after the first arm trained in it', () => {
    const assignments = assignShrinks([HALF], SHRINKS, 'closest');
    const runs = planTrainedRuns({ assignments, shrinks: SHRINKS, seedCost: SEED_COST, seeds: [1], arms: ['uniform'], pick: 'closest' });
    expect(summary(runs)).toEqual([{ name: 'uniform-50pct-seed1', strength: 3e-7, budget: '50pct', seed: 1, arms: ['uniform:baseline'], baseline: true }]);
  });
});

describe('strengths: goal, one shrink per budget seeking it', () => {
  const QUARTER: Budget = { label: '25pct', amount: 25, fraction: 0.25 };
  const AMOUNT: Budget = { label: '7.5M', amount: 7.5e6 };
  /**
   * Goal shrinks at 50% and 25% of a seed costing 100: they ended at lambdas 2e-7 and 5e-7 with
   * learned costs 35 and 10 (both overshot their goals).
   */
  const GOALS: LearnedShrink[] = planGoalShrinks([HALF, QUARTER]).map((shrink, i) => ({ ...shrink, strength: [2e-7, 5e-7][i], cost: [35, 10][i] }));

  it('a shrink per budget, named by it, its goal the budget as shrink.goal takes it', () => {
    expect(planGoalShrinks([HALF, QUARTER, AMOUNT])).toEqual([
      { name: 'shrink-goal-50pct', goal: { budget: '50pct', value: '50%' } },
      { name: 'shrink-goal-25pct', goal: { budget: '25pct', value: '25%' } },
      { name: 'shrink-goal-7.5M', goal: { budget: '7.5M', value: 7.5e6 } },
    ]);
    // 100 * 0.07 = 7.000000000000001 in floating point: the goal reads 7%.
    expect(goalValue({ label: '7pct', amount: 7, fraction: 0.07 })).toBe('7%');
  });

  it('each budget is served by its own shrink, even where another learned a closer cost', () => {
    // 25pct: the 50% shrink's 35 is closer (|35 - 25| = 10) than the 25% shrink's 10 (|10 - 25| = 15), yet the 25% shrink serves it.
    expect(closestShrink(25, GOALS).name).toBe('shrink-goal-50pct');
    expect(assignShrinks([HALF, QUARTER], GOALS, 'closest').map((a) => [a.budget.label, a.closest.name, a.shrinks.map((s) => s.name)])).toEqual([
      ['50pct', 'shrink-goal-50pct', ['shrink-goal-50pct']],
      ['25pct', 'shrink-goal-25pct', ['shrink-goal-25pct']],
    ]);
    // 30pct has no shrink of its own.
    expect(() => assignShrinks([THIRTY], GOALS, 'closest')).toThrow('no goal shrink serves the budget 30pct');
  });

  it('the seed arm copies the largest budget\'s shrink; every other run dir its budget\'s', () => {
    const assignments = assignShrinks([QUARTER, HALF], GOALS, 'closest');
    // The largest budget is 50 (50pct), whichever order the budgets come in.
    expect(seedArmShrink(assignments, GOALS, SEED_COST).name).toBe('shrink-goal-50pct');
    const runs = planTrainedRuns({ assignments, shrinks: GOALS, seedCost: SEED_COST, seeds: [1], arms: ['morphnet', 'uniform', 'seed'], pick: 'closest' });
    expect(runs.map((r) => [r.name, r.shrink.name, r.shrink.strength, r.arms.map((a) => a.arm)])).toEqual([
      ['morphnet-25pct-seed1', 'shrink-goal-25pct', 5e-7, ['morphnet', 'uniform']],
      ['morphnet-50pct-seed1', 'shrink-goal-50pct', 2e-7, ['morphnet', 'uniform']],
      ['seed-seed1', 'shrink-goal-50pct', 2e-7, ['seed']],
    ]);
  });
});

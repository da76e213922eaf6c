import { describe, expect, it } from 'vitest';
import type { ArmResult } from './summary.js';
import { sweepStatistics } from './summary.js';

const result = (arm: ArmResult['arm'], budget: string, seed: number, accuracy: number, flops: number, strength = 1e-7): ArmResult => ({
  run: `${arm}-${budget}-seed${seed}`,
  arm,
  budget,
  budgetAmount: budget === '100pct' ? 100 : 50,
  shrink: `shrink-${strength}`,
  strength,
  seed,
  cost: { flops, params: flops / 10 },
  testAccuracy: accuracy,
  accuracy,
});

/** Seeds 1..3 at 50%: MorphNet 0.90, 0.92, 0.94; uniform 0.89, 0.90, 0.91; the seed 0.95, 0.95, 0.98. */
const RESULTS: ArmResult[] = [1, 2, 3].flatMap((seed) => [
  result('morphnet', '50pct', seed, [0.9, 0.92, 0.94][seed - 1], 49),
  result('uniform', '50pct', seed, [0.89, 0.9, 0.91][seed - 1], 48),
  result('seed', '100pct', seed, [0.95, 0.95, 0.98][seed - 1], 100),
]);

describe('sweep statistics', () => {
  const stats = sweepStatistics(RESULTS, 'closest', 'test');

  it('per arm and budget: mean and sample std over seeds, relative to the seed network', () => {
    expect(stats.metric).toBe('test');
    // seed: mean (0.95 + 0.95 + 0.98) / 3 = 0.96; deviations -0.01, -0.01, 0.02 -> (1e-4 + 1e-4 + 4e-4) / 2 = 3e-4 -> std sqrt(3e-4) = 0.017320508.
    expect(stats.seed).toEqual({ n: 3, mean: expect.closeTo(0.96, 12), std: expect.closeTo(Math.sqrt(3e-4), 12) });
    const morphnet = stats.arms.find((g) => g.arm === 'morphnet')!;
    expect(morphnet).toMatchObject({ budget: '50pct', seeds: [1, 2, 3], runs: ['morphnet-50pct-seed1', 'morphnet-50pct-seed2', 'morphnet-50pct-seed3'], cost: { flops: 49, params: 4.9 } });
    // The strength of the shrink MorphNet's structure came from; the uniform baseline has none.
    expect(morphnet.strength).toBe(1e-7);
    expect(stats.arms.find((g) => g.arm === 'uniform')!.strength).toBeUndefined();
    // mean 0.92, std 0.02 (squared deviations 4e-4, 0, 4e-4 over 2); relative 0.92 / 0.96 = 0.958333.
    expect(morphnet.accuracy.mean).toBeCloseTo(0.92, 12);
    expect(morphnet.accuracy.std).toBeCloseTo(0.02, 12);
    expect(morphnet.relativeToSeed).toBeCloseTo(0.92 / 0.96, 12);
    expect(stats.arms.map((g) => g.arm)).toEqual(['morphnet', 'uniform', 'seed']);
    expect(stats.arms.find((g) => g.arm === 'seed')!.relativeToSeed).toBeCloseTo(1, 12);
  });

  it('MorphNet minus uniform paired by seed with the 95% t interval', () => {
    // differences 0.01, 0.02, 0.03: mean 0.02, sd 0.01; t(0.975, 2) = 4.302652729749464; half-width 4.3027 * 0.01 / sqrt(3) = 0.024841.
    expect(stats.differences).toHaveLength(1);
    const [d] = stats.differences;
    expect(d.budget).toBe('50pct');
    expect(d.seeds).toEqual([1, 2, 3]);
    expect(d.difference.mean).toBeCloseTo(0.02, 12);
    expect(d.difference.std).toBeCloseTo(0.01, 12);
    expect(d.difference.halfWidth).toBeCloseTo((4.302652729749464 * 0.01) / Math.sqrt(3), 10);
    expect(d.difference.low).toBeCloseTo(0.02 - 0.0248414, 6);
  });

  it('pairs only seeds both arms have', () => {
    const missing = RESULTS.filter((r) => !(r.arm === 'uniform' && r.seed === 3));
    const [d] = sweepStatistics(missing, 'closest', 'test').differences;
    // differences 0.01 and 0.02 (seeds 1, 2): mean 0.015.
    expect(d.seeds).toEqual([1, 2]);
    expect(d.difference.mean).toBeCloseTo(0.015, 12);
  });

  it('pick all: a MorphNet line per strength, each compared with the one uniform baseline', () => {
    const all = [...RESULTS, ...[1, 2, 3].map((seed) => result('morphnet', '50pct', seed, 0.88, 50, 3e-7))];
    const stats = sweepStatistics(all, 'all', 'validation');
    expect(stats.arms.filter((g) => g.arm === 'morphnet').map((g) => g.strength)).toEqual([1e-7, 3e-7]);
    // strength 3e-7: 0.88 - [0.89, 0.90, 0.91] = [-0.01, -0.02, -0.03], mean -0.02.
    expect(stats.differences.map((d) => [d.strength, Number(d.difference.mean.toFixed(12))])).toEqual([
      [1e-7, 0.02],
      [3e-7, -0.02],
    ]);
  });

  it('goal shrinks: MorphNet groups and differences name the shrink, its goal and final lambda', () => {
    const goal = RESULTS.map((r) => (r.arm === 'morphnet' ? { ...r, shrink: 'shrink-goal-50pct', strength: 1.2e-5, goal: '50%' } : r));
    const stats = sweepStatistics(goal, 'closest', 'test');
    expect(stats.arms.find((g) => g.arm === 'morphnet')).toMatchObject({ shrink: 'shrink-goal-50pct', strength: 1.2e-5, goal: '50%' });
    expect(stats.arms.find((g) => g.arm === 'uniform')).not.toHaveProperty('goal');
    // Same accuracies as above: differences 0.01, 0.02, 0.03, mean 0.02.
    expect(stats.differences.map((d) => [d.shrink, d.strength, d.goal, Number(d.difference.mean.toFixed(12))])).toEqual([['shrink-goal-50pct', 1.2e-5, '50%', 0.02]]);
  });

  it('without the seed arm there is no reference', () => {
    const stats = sweepStatistics(RESULTS.filter((r) => r.arm !== 'seed'), 'closest', 'test');
    expect(stats.seed).toBeUndefined();
    expect(stats.arms[0].relativeToSeed).toBeUndefined();
  });
});

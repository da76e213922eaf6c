import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../config/load.js';
import type { Resource } from '../cost/cost-model.js';
import { budgetAboveSeedWarning, resolveTarget, targetFromConfig } from './expand.js';

// zoo:cnn: 2 * (28*28*9*1*32 + 14*14*9*32*64 + 7*7*9*64*128 + 128*10) = 14,904,832 FLOPs.
const SEED_FLOPS = 2 * (28 * 28 * 9 * 1 * 32 + 14 * 14 * 9 * 32 * 64 + 7 * 7 * 9 * 64 * 128 + 128 * 10);
// Expanded to 1G: the learned widths times one multiplier; conv3 grows the most (1063 / 128 = 8.3x).
const GROUPS = [
  { layers: ['conv1', 'conv1_bn'], original: 32, width: 190 },
  { layers: ['conv2', 'conv2_bn'], original: 64, width: 262 },
  { layers: ['conv3', 'conv3_bn'], original: 128, width: 1063 },
  { layers: ['predictions'], original: 10, width: 10, fixed: true },
];

describe('a budget above the seed', () => {
  it('is named with the seed cost, the target and the layer that grows most, with the two fixes', () => {
    expect(SEED_FLOPS).toBe(14_904_832);
    expect(budgetAboveSeedWarning({ resource: 'flops', value: 1e9 }, SEED_FLOPS, GROUPS, undefined)).toBe(
      "the expand target 1G FLOPs is above the seed's own cost, 14.9M FLOPs: the expanded network is larger than the seed (conv3 grows from 128 to 1063 channels); " +
        "if that is not what you meant, cap the widths with expand.maxWidth (--max-width N), or choose a target at most the seed's 14.9M FLOPs",
    );
  });

  it('does not suggest maxWidth when it is set', () => {
    const warning = budgetAboveSeedWarning({ resource: 'size', value: 200_000 }, 93_728, GROUPS, 256);
    expect(warning).toContain("the expand target 200k params is above the seed's own cost, 93.7k params");
    expect(warning).not.toContain('maxWidth');
  });

  it('says nothing for a target at or below the seed cost', () => {
    expect(budgetAboveSeedWarning({ resource: 'flops', value: SEED_FLOPS }, SEED_FLOPS, GROUPS, undefined)).toBeUndefined();
    expect(budgetAboveSeedWarning({ resource: 'flops', value: 7.5e6 }, SEED_FLOPS, GROUPS, undefined)).toBeUndefined();
  });
});

describe('a target as a percentage of the seed\'s cost', () => {
  const seedCost = (resource: Resource) => ({ flops: SEED_FLOPS, size: 93_728, latency: 0.5, activations: 234 })[resource];

  it('a config key keeps "25%" until expand knows the seed, then resolves it against the seed\'s cost of that resource', () => {
    const target = targetFromConfig(resolveConfig({ model: { zoo: 'cnn' }, expand: { targetSize: '25%' } }));
    expect(target).toEqual({ resource: 'size', percentOfSeed: 25 });
    // 25% of 93,728 params = 23,432.
    expect(resolveTarget(target, seedCost)).toEqual({ resource: 'size', value: 23_432, percentOfSeed: 25 });
    // 150% of 14,904,832 FLOPs = 22,357,248: above the seed is allowed (expand warns).
    expect(resolveTarget({ resource: 'flops', percentOfSeed: 150 }, seedCost)).toEqual({ resource: 'flops', value: 22_357_248, percentOfSeed: 150 });
  });

  it('amounts and multipliers pass through as given', () => {
    expect(resolveTarget({ resource: 'latency', value: 0.2 }, seedCost)).toEqual({ resource: 'latency', value: 0.2 });
    expect(resolveTarget({ multiplier: 1.5 }, seedCost)).toEqual({ multiplier: 1.5 });
  });
});

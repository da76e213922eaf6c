import { describe, expect, it } from 'vitest';
import { resolveConfig } from './load.js';
import { configProblems } from './test-problems.js';

const expandOf = (expand: Record<string, unknown>) => resolveConfig({ model: { zoo: 'cnn' }, expand }).expand;

const problems = (expand: Record<string, unknown>) => configProblems(() => expandOf(expand));

describe('expand targets', () => {
  it('an amount (SI suffixes allowed, ms for latency) or a percentage of the seed\'s cost, kept as text for expand to resolve', () => {
    expect(expandOf({ targetFlops: '2M' }).targetFlops).toBe(2e6);
    expect(expandOf({ targetSize: '25%' }).targetSize).toBe('25%');
    expect(expandOf({ targetActivations: ' 12.5 % ' }).targetActivations).toBe('12.5%');
    // Above 100%: the expanded network may grow past the seed (expand warns).
    expect(expandOf({ targetFlops: '150%' }).targetFlops).toBe('150%');
    expect(expandOf({ targetLatency: 0.5 }).targetLatency).toBe(0.5);
    expect(expandOf({ targetLatency: '50%' }).targetLatency).toBe('50%');
  });

  it('parses its own output again, so a run dir\'s resolved config stays valid', () => {
    const once = expandOf({ targetSize: '25%' });
    expect(expandOf(once)).toEqual(once);
  });

  it('bad targets name the key, the value and both accepted forms', () => {
    expect(problems({ targetFlops: 'lots', targetSize: '0%', targetLatency: '5M', targetActivations: -3 })).toEqual([
      "expand.targetFlops: expected a positive number, optionally with an SI suffix (300M, 1.2G, 45k, 2e6), or a percentage of the seed's own cost (50%), received \"lots\"",
      "expand.targetSize: expected a positive number, optionally with an SI suffix (300M, 1.2G, 45k, 2e6), or a percentage of the seed's own cost (50%), received \"0%\"",
      "expand.targetLatency: expected a positive number of ms (0.5), or a percentage of the seed's own cost (50%), received \"5M\"",
      "expand.targetActivations: expected a positive number, optionally with an SI suffix (300M, 1.2G, 45k, 2e6), or a percentage of the seed's own cost (50%), received -3",
    ]);
  });
});

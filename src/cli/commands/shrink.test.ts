import { describe, expect, it } from 'vitest';
import type { ShrinkResult } from '../../stages/shrink.js';
import { renderShrinkSummary } from './shrink.js';

/** A finished shrink of zoo:cnn (14,904,832 FLOPs, 93,728 params in MorphNet's size) down to 6.5M FLOPs. */
const result = (target: string, initialCost: number, finalCost: number): ShrinkResult => ({
  runDir: 'runs/a',
  steps: 100,
  resumedAt: 0,
  target,
  strength: 3e-8,
  initialCost,
  finalCost,
  costReduction: 1 - finalCost / initialCost,
  initialFlops: 14_904_832,
  finalFlops: 6_540_000,
  valAccuracy: 0.94,
  structure: { format: 'morphnet.structure/1', model: 'zoo:cnn', step: 100, groups: [{ id: 0, layers: ['conv1'], original: 32, width: 23, kept: [] }], widths: {}, cost: { flops: 6_540_000, macs: 3_270_000, params: 45_400, totalParams: 45_900, activations: 160 } },
  scoreHistogram: [
    { from: 1e-3, to: 1e-2, count: 9 },
    { from: 1e-2, to: 1e-1, count: 0 },
    { from: 1, to: Infinity, count: 200 },
  ],
  threshold: 0.01,
  hints: [],
});

describe('the shrink summary', () => {
  it('states the FLOPs once when FLOPs are the target', () => {
    const lines = renderShrinkSummary(result('flops', 14_904_832, 6_540_000)).split('\n');
    // 1 - 6.54M / 14.904832M = 56.1%
    expect(lines.filter((line) => /flops:/i.test(line))).toEqual(['  flops: 14.9M -> 6.54M (-56.1%)']);
  });

  it('states the target and the FLOPs for another target', () => {
    const lines = renderShrinkSummary(result('size', 93_728, 46_864)).split('\n');
    expect(lines.filter((line) => /size:|flops:/i.test(line))).toEqual(['  size: 93.7k -> 46.9k (-50.0%)', '  FLOPs: 14.9M -> 6.54M (-56.1%)']);
  });

  it('ends with the score histogram to choose the threshold from, empty decades left out', () => {
    const text = renderShrinkSummary(result('flops', 14_904_832, 6_540_000));
    // 9 scores: ceil(9 / 4) = 3 marks; 200: ceil(200 / 4) = 50 (the most).
    expect(text).toContain(['  channel scores (threshold 0.01):', '    [1e-3, 1e-2)      9 ###', `    [1e+0, inf)    200 ${'#'.repeat(50)}`].join('\n'));
  });
});

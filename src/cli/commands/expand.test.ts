import { describe, expect, it } from 'vitest';
import type { ExpandedStructure } from '../../structure/structure-file.js';
import { renderExpand } from './expand.js';

const expanded = (target: ExpandedStructure['target'], achieved: number, slack: number): ExpandedStructure => ({
  format: 'morphnet.structure/1',
  model: 'zoo:cnn',
  step: 100,
  groups: [{ id: 0, layers: ['conv1'], original: 32, width: 25, kept: [] }],
  widths: { conv1: 25 },
  cost: { flops: 7_490_000, macs: 3_745_000, params: 51_900, totalParams: 52_400, activations: 170, latency: achieved },
  multiplier: 1.078,
  target,
  achieved,
  slack,
  fill: true,
  filled: [],
});

describe('renderExpand', () => {
  it('gives a latency budget, what it reached and its slack in ms', () => {
    const line = renderExpand(expanded({ resource: 'latency', value: 0.05 }, 0.0488, 0.05 - 0.0488)).split('\n')[0];
    expect(line).toBe('expanded to latency <= 0.05 ms: multiplier 1.0780, FLOPs 7.49M, params 51.9k, latency 0.0488 ms, slack 0.0012 ms');
  });

  it('gives counts as counts', () => {
    const line = renderExpand(expanded({ resource: 'flops', value: 7_500_000 }, 7_490_000, 10_000)).split('\n')[0];
    expect(line).toBe('expanded to flops <= 7.5M: multiplier 1.0780, FLOPs 7.49M, params 51.9k, slack 10k');
  });
});

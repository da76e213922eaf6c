import { describe, expect, it } from 'vitest';
import type { ExpandedStructure } from '../../structure/structure-file.js';
import { MorphnetError } from '../../errors.js';
import { renderExpand, targetFromFlags } from './expand.js';

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

  it('says when the widths are rounded', () => {
    const line = renderExpand({ ...expanded({ resource: 'latency', value: 0.05 }, 0.0488, 0.05 - 0.0488), roundTo: 8 }).split('\n')[0];
    expect(line).toBe('expanded to latency <= 0.05 ms: multiplier 1.0780, FLOPs 7.49M, params 51.9k, latency 0.0488 ms, slack 0.0012 ms, widths in multiples of 8');
  });

  it('gives each fit of a measured landing: the aim, the prediction, the share of the seed, its time at the table\'s speed and the error', () => {
    // Target 0.40 ms of a seed the table predicts at 0.80 ms. Fit 1: measured 55% of the seed = 0.44 ms, +10%;
    // refitted to 0.40 x 0.40 / 0.44 = 0.3636 ms: 50.25% = 0.402 ms, +0.5%, taken.
    const attempts = [
      { aimedMs: 0.4, predictedMs: 0.4, measuredShare: 0.55, landedMs: 0.44, error: 0.1 },
      { aimedMs: 0.3636, predictedMs: 0.3635, measuredShare: 0.5025, landedMs: 0.402, error: 0.005 },
    ];
    const lines = renderExpand({ ...expanded({ resource: 'latency', value: 0.4 }, 0.3635, 0.0365), measured: { attempts, chosen: 1, on: 'wasm, 2 threads, batch 1', protocol: { warmup: 2, warmupMs: 20, pairs: 31, minSampleMs: 2 } } }).split('\n');
    // The budget was met as timed: no slack in the table's terms.
    expect(lines[0]).toBe('expanded to latency <= 0.4 ms: multiplier 1.0780, FLOPs 7.49M, params 51.9k, latency 0.363 ms');
    expect(lines[1]).toBe("  measured on wasm, 2 threads, batch 1, in 31 pairs with the seed (its share of the seed's time x the table's seed: the machine's drift since the table taken out):");
    expect(lines[2]).toBe('    fitted to the target: predicted 0.4 ms, measured 55.0% of the seed = 0.44 ms (+10.0%)');
    expect(lines[3]).toBe('    refitted to 0.364 ms: predicted 0.363 ms, measured 50.2% of the seed = 0.402 ms (+0.5%), taken');
  });

  it('gives counts as counts', () => {
    const line = renderExpand(expanded({ resource: 'flops', value: 7_500_000 }, 7_490_000, 10_000)).split('\n')[0];
    expect(line).toBe('expanded to flops <= 7.5M: multiplier 1.0780, FLOPs 7.49M, params 51.9k, slack 10k');
  });
});

describe('targetFromFlags', () => {
  it('an amount, or a percentage of the seed\'s cost that expand resolves', () => {
    expect(targetFromFlags({ runDir: 'r', targetFlops: '5M' })).toEqual({ resource: 'flops', value: 5e6 });
    expect(targetFromFlags({ runDir: 'r', targetSize: '25%' })).toEqual({ resource: 'size', percentOfSeed: 25 });
    expect(targetFromFlags({ runDir: 'r', targetLatency: '150%' })).toEqual({ resource: 'latency', percentOfSeed: 150 });
  });

  it('0% is a usage error naming the flag, the value and an example', () => {
    let error: unknown;
    try {
      targetFromFlags({ runDir: 'r', targetSize: '0%' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(MorphnetError);
    expect((error as MorphnetError).exitCode).toBe(2);
    expect((error as MorphnetError).message).toBe('--target-size: expected a percentage of the seed\'s cost above 0%, received "0%"');
    expect((error as MorphnetError).hint).toBe('e.g. --target-size 50%');
  });

  it('shows a percentage target with its share', () => {
    // 50% of zoo:cnn's 14,904,832 FLOPs = 7,452,416 -> 7.45M.
    const line = renderExpand(expanded({ resource: 'flops', value: 7_452_416, percentOfSeed: 50 }, 7_440_000, 12_416)).split('\n')[0];
    expect(line).toBe("expanded to flops <= 7.45M (50% of the seed's): multiplier 1.0780, FLOPs 7.49M, params 51.9k, slack 12.4k");
  });
});

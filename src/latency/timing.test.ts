import { afterEach, describe, expect, it, vi } from 'vitest';
import { sampleWidths } from './sample-widths.js';
import { quartilesOf, samplePaired, sampleRoundRobin, summarizeSamples, timeRuns, warmUntilSteady } from './timing.js';

/** A clock that only the runs move: performance.now() reads it, `advance` moves it. */
function fakeClock(): { advance(ms: number): void } {
  let now = 0;
  vi.spyOn(performance, 'now').mockImplementation(() => now);
  return {
    advance: (ms) => {
      now += ms;
    },
  };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('timing statistics', () => {
  it('median and interquartile range, linear between neighbours', () => {
    // Sorted 1 2 3 4 10: median 3; quartiles at positions 1 and 3: 2 and 4.
    expect(summarizeSamples([10, 3, 1, 4, 2])).toEqual({ medianMs: 3, iqrMs: 4 - 2 });
    // Sorted 1 2 3 4: median at position 1.5 -> 2.5; quartiles at 0.75 -> 1.75 and 2.25 -> 3.25.
    expect(summarizeSamples([4, 1, 3, 2])).toEqual({ medianMs: 2.5, iqrMs: 3.25 - 1.75 });
  });

  it('quartiles: the median and the 25th and 75th percentiles', () => {
    // Sorted 1 2 3 4 10: positions 1, 2, 3 of 0..4.
    expect(quartilesOf([10, 3, 1, 4, 2])).toEqual({ medianMs: 3, p25Ms: 2, p75Ms: 4 });
    // Sorted 1 2 3 4: positions 0.75, 1.5, 2.25 -> 1.75, 2.5, 3.25.
    expect(quartilesOf([4, 1, 3, 2])).toEqual({ medianMs: 2.5, p25Ms: 1.75, p75Ms: 3.25 });
  });

  it('runs the warm-up and every repeat (a fast run is timed many times per sample)', () => {
    let runs = 0;
    const timing = timeRuns(() => void runs++, { warmup: 2, warmupMs: 0, repeats: 3, minSampleMs: 0 });
    // minSampleMs 0: one run per sample, so 2 warm-up + 3 timed runs.
    expect(runs).toBe(2 + 3);
    expect(timing.medianMs).toBeGreaterThanOrEqual(0);
  });
});

describe('samplePaired', () => {
  it('warms both, then pairs adjacent samples, the order alternating; the ratio is each pair\'s', () => {
    const clock = fakeClock();
    const calls: string[] = [];
    // The model takes 2 ms, the reference 4 ms, except the reference's 2nd timed run (pair 1, where it goes first): 8 ms.
    let referenceRuns = 0;
    const run = () => {
      calls.push('model');
      clock.advance(2);
    };
    const reference = () => {
      calls.push('reference');
      referenceRuns++;
      clock.advance(referenceRuns === 3 ? 8 : 4);
    };
    const paired = samplePaired(run, reference, { warmup: 1, warmupMs: 0, pairs: 3, minSampleMs: 0 });
    // One warm-up run each, then pairs: model first, reference first, model first.
    expect(calls).toEqual(['model', 'reference', 'model', 'reference', 'reference', 'model', 'model', 'reference']);
    expect(paired.samples).toEqual([2, 2, 2]);
    expect(paired.referenceSamples).toEqual([4, 8, 4]);
    // 2 / 4, 2 / 8, 2 / 4.
    expect(paired.ratios).toEqual([0.5, 0.25, 0.5]);
  });
});

describe('samplePaired with steady', () => {
  it('first runs both in turn until their speed settles, then warms and pairs as before', () => {
    const clock = fakeClock();
    const calls: string[] = [];
    const run = () => {
      calls.push('model');
      clock.advance(2);
    };
    const reference = () => {
      calls.push('reference');
      clock.advance(4);
    };
    // Chunks of at least 6 ms: one turn (2 + 4 ms) each. Turn 1 sets the best; turns 2 and 3 bring none: settled.
    const paired = samplePaired(run, reference, { warmup: 1, warmupMs: 0, pairs: 1, minSampleMs: 0, steady: { minMs: 0, maxMs: 100, chunkMs: 6, settledChunks: 2 } });
    const turn = ['model', 'reference'];
    expect(calls).toEqual([...turn, ...turn, ...turn, 'model', 'reference', 'model', 'reference']);
    expect(paired.ratios).toEqual([0.5]);
  });
});

describe('sampleRoundRobin', () => {
  it('warms each run, then takes one sample of each per round, so a slow spell costs each run one sample', () => {
    const clock = fakeClock();
    const calls: string[] = [];
    // a takes 1 ms, b 2 ms; the 5th run of all (after a warm-up run of each and round 1, so round 2's a) runs 10x slow.
    let runs = 0;
    const make = (name: string, ms: number) => () => {
      calls.push(name);
      runs++;
      clock.advance(runs === 5 ? 10 * ms : ms);
    };
    const samples = sampleRoundRobin([make('a', 1), make('b', 2)], { warmup: 1, warmupMs: 0, repeats: 3, minSampleMs: 0 });
    expect(calls).toEqual(['a', 'b', 'a', 'b', 'a', 'b', 'a', 'b']);
    // The slow 5th run is round 2's sample of a: one slow sample of three, the median untouched.
    expect(samples).toEqual([
      [1, 10, 1],
      [2, 2, 2],
    ]);
    expect(samples.map((s) => quartilesOf(s).medianMs)).toEqual([1, 2]);
  });
});

describe('warmUntilSteady', () => {
  it('runs in chunks until 3 in a row bring no new best (2% faster)', () => {
    const clock = fakeClock();
    // The first 6 runs take 4 ms, then 1 ms. Chunks of at least 10 ms:
    // 4 4 4 (median 4, best) | 4 4 4 (4: settled 1) | ten of 1 (new best: settled 0) | ten of 1 x 3 (settled 3): 12 + 12 + 40 ms.
    let runs = 0;
    const ms = warmUntilSteady(() => clock.advance(runs++ < 6 ? 4 : 1), { minMs: 0, maxMs: 1000, chunkMs: 10, settledChunks: 3 });
    expect(ms).toBe(12 + 12 + 40);
    expect(runs).toBe(6 + 40);
  });

  it('runs at least minMs even when settled, and at most maxMs when never', () => {
    const clock = fakeClock();
    // 1 ms runs: chunks of 10 ms end at 10, 20, ... 100: settled after the 4th chunk, but minMs is 95.
    expect(warmUntilSteady(() => clock.advance(1), { minMs: 95, maxMs: 1000, chunkMs: 10, settledChunks: 3 })).toBe(100);
    // Each run 5% faster than the one before: every chunk is a new best, until maxMs (a chunk ends past it: 3 runs from 1 ms down).
    let cost = 1;
    const ms = warmUntilSteady(
      () => {
        clock.advance(cost);
        cost *= 0.95;
      },
      { minMs: 0, maxMs: 2, chunkMs: 1, settledChunks: 3 },
    );
    // Chunk 1: one run of 1 ms (median 1). Chunk 2: 0.95 then 0.9025 -> past 2 ms of the start, so the loop ends.
    expect(ms).toBeCloseTo(1 + 0.95 + 0.9025, 12);
  });
});

describe('sampled widths', () => {
  it('evenly spaced fractions up to the seed width, and 150%', () => {
    // 5 samples of 32: 25% 50% 75% 100% of 32, then 48.
    expect(sampleWidths(32, 5)).toEqual([8, 16, 24, 32, 48]);
    // 3 samples of 10: 50% 100% 150%.
    expect(sampleWidths(10, 3)).toEqual([5, 10, 15]);
    expect(sampleWidths(10, 1)).toEqual([10]);
  });

  it('whole channels, at least one, without repeats', () => {
    // 2 channels: 0.5 1 1.5 2 3 -> round (half up) 1 1 2 2 3 -> 1 2 3.
    expect(sampleWidths(2, 5)).toEqual([1, 2, 3]);
  });
});

import { describe, expect, it } from 'vitest';
import { sampleWidths } from './sample-widths.js';
import { quartilesOf, summarizeSamples, timeRuns } from './timing.js';

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

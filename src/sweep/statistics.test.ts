import { describe, expect, it } from 'vitest';
import { mean, pairedDifference, sampleStd, spread } from './statistics.js';

describe('spread over seeds', () => {
  it('mean and sample standard deviation (n - 1)', () => {
    // [0.90, 0.92, 0.94]: mean 0.92; squared deviations 0.0004 + 0 + 0.0004 = 0.0008; / (3 - 1) = 0.0004; sqrt = 0.02.
    expect(mean([0.9, 0.92, 0.94])).toBeCloseTo(0.92, 15);
    expect(sampleStd([0.9, 0.92, 0.94])).toBeCloseTo(0.02, 15);
    expect(spread([0.9, 0.92, 0.94])).toEqual({ n: 3, mean: expect.closeTo(0.92, 15), std: expect.closeTo(0.02, 15) });
  });

  it('has no std for one seed', () => {
    expect(sampleStd([0.5])).toBeUndefined();
    expect(spread([0.5])).toEqual({ n: 1, mean: 0.5 });
  });
});

describe('paired difference with a 95% interval', () => {
  it('differences [1, 2, 3]: the interval of hand arithmetic', () => {
    // a - b = [1, 2, 3]: mean 2; deviations -1, 0, 1 -> sum of squares 2, / (3 - 1) = 1, sd 1.
    // t(0.975, df 2) = 0.95 / sqrt(2 * 0.975 * 0.025) = 4.302652729749464.
    // half-width = 4.302652729749464 * 1 / sqrt(3) = 2.4841377118...; interval [2 - 2.4841, 2 + 2.4841].
    const d = pairedDifference([
      { a: 11, b: 10 },
      { a: 12, b: 10 },
      { a: 13, b: 10 },
    ]);
    expect(d.n).toBe(3);
    expect(d.mean).toBe(2);
    expect(d.std).toBe(1);
    expect(d.level).toBe(0.95);
    expect(d.t).toBeCloseTo(4.302652729749464, 10);
    expect(d.halfWidth).toBeCloseTo(4.302652729749464 / Math.sqrt(3), 10);
    expect(d.halfWidth).toBeCloseTo(2.4841, 4);
    expect(d.low).toBeCloseTo(2 - 2.4841377, 6);
    expect(d.high).toBeCloseTo(2 + 2.4841377, 6);
  });

  it('two pairs: df 1, t = tan(0.475 pi) = 12.7062', () => {
    // a - b = [0.01, 0.03]: mean 0.02, sd sqrt((0.01^2 + 0.01^2) / 1) = 0.0141421; half-width 12.7062047 * 0.0141421 / sqrt(2) = 0.127062.
    const d = pairedDifference([
      { a: 0.91, b: 0.9 },
      { a: 0.93, b: 0.9 },
    ]);
    expect(d.mean).toBeCloseTo(0.02, 15);
    expect(d.halfWidth).toBeCloseTo(0.127062047, 8);
  });

  it('one pair: the difference, no interval', () => {
    expect(pairedDifference([{ a: 0.8, b: 0.75 }])).toEqual({ n: 1, mean: expect.closeTo(0.05, 15), level: 0.95 });
  });
});

import { describe, expect, it } from 'vitest';
import { landOnTarget } from './land-on-target.js';

// A table that prices every aim exactly (the fit's cost is the aim; its one width names it) for a seed it predicts at 4 ms.
const SEED_MS = 4;
const fitAt = (aimedMs: number) => ({ cost: aimedMs, widths: [Math.round(aimedMs * 1000)] });

describe('landOnTarget', () => {
  it('refits a structure the table under-priced by 10% to a budget smaller by as much, and takes it when it lands', async () => {
    // The machine runs every structure at 1.1x the table's price: share = 1.1 x cost / 4.
    const measured: number[] = [];
    const landing = await landOnTarget(2, SEED_MS, fitAt, async (fit) => {
      measured.push(fit.cost);
      return (1.1 * fit.cost) / SEED_MS;
    });
    // Fit 1 aims at 2 ms: share 1.1 x 2 / 4 = 0.55, landed 0.55 x 4 = 2.2 ms, +10%.
    // Fit 2 aims at 2 x 2 / 2.2 = 1.8182 ms: share 1.1 x 1.8182 / 4 = 0.5, landed 2 ms, 0%: within 2%, taken.
    expect(landing?.attempts).toHaveLength(2);
    expect(landing?.attempts[0]).toEqual({ aimedMs: 2, predictedMs: 2, measuredShare: expect.closeTo(0.55, 12), landedMs: expect.closeTo(2.2, 12), error: expect.closeTo(0.1, 12) });
    expect(landing?.attempts[1].aimedMs).toBeCloseTo(2 / 1.1, 12);
    expect(landing?.attempts[1].error).toBeCloseTo(0, 12);
    expect(landing?.chosen).toBe(1);
    expect(landing?.fit.widths).toEqual([1818]);
    expect(measured).toHaveLength(2);
  });

  it('takes the first structure when it lands within the tolerance: one fit, one timing', async () => {
    // 1.015 x 2 / 4 = 0.5075 of the seed: 2.03 ms, +1.5%.
    const landing = await landOnTarget(2, SEED_MS, fitAt, async (fit) => (1.015 * fit.cost) / SEED_MS);
    expect(landing?.attempts).toHaveLength(1);
    expect(landing?.attempts[0].error).toBeCloseTo(0.015, 12);
    expect(landing?.chosen).toBe(0);
  });

  it('once structures landed on both sides, aims between them where the line through them meets the target', async () => {
    // Measured at 1.1x, 0.95x, 1.05x the table's price in turn (noise a refit must not chase).
    const factors = [1.1, 0.95, 1.05];
    const landing = await landOnTarget(2, SEED_MS, fitAt, async (fit, attempt) => (factors[attempt] * fit.cost) / SEED_MS);
    // Fit 1: 2 ms, landed 2.2 (+10%). Fit 2: aim 2 x 2 / 2.2 = 20/11, landed 0.95 x 20/11 = 19/11 = 1.7273 (-13.6%).
    // Fit 3, between them: 20/11 + (2 - 19/11) x (2 - 20/11) / (2.2 - 19/11) = 20/11 + 15/143 = 25/13 = 1.9231 ms,
    // landed 1.05 x 25/13 = 2.0192 (+0.96%): taken.
    expect(landing?.attempts.map((a) => a.aimedMs)).toEqual([2, expect.closeTo(20 / 11, 12), expect.closeTo(25 / 13, 12)]);
    expect(landing?.attempts.map((a) => a.error)).toEqual([expect.closeTo(0.1, 12), expect.closeTo(19 / 22 - 1, 12), expect.closeTo((1.05 * 25) / 26 - 1, 12)]);
    expect(landing?.chosen).toBe(2);
  });

  it('stops after maxFits and takes the attempt nearest the target', async () => {
    // Always 1.1x the table's price, and the table's fits stop short of the aim by 10% (a coarse structure).
    const coarse = (aimedMs: number) => ({ cost: 0.9 * aimedMs, widths: [Math.round(aimedMs * 1000)] });
    const landing = await landOnTarget(2, SEED_MS, coarse, async (fit) => (1.1 * fit.cost) / SEED_MS);
    // Fit 1: cost 1.8, landed 1.98 (-1%): within 2%, taken at once.
    expect(landing?.attempts).toHaveLength(1);
    // With a tolerance of 0.5%: fit 2 aims at 2 x 1.8 / 1.98 = 1.8182 (cost 1.6364, landed 1.8, -10%). Nothing landed
    // above the target, so fit 3 aims from the last: 2 x 1.6364 / 1.8 = 1.8182 again, a structure already timed:
    // it stops, and the nearest is fit 1.
    const strict = await landOnTarget(2, SEED_MS, coarse, async (fit) => (1.1 * fit.cost) / SEED_MS, { tolerance: 0.005, maxFits: 3 });
    expect(strict?.attempts.map((a) => a.error)).toEqual([expect.closeTo(-0.01, 12), expect.closeTo(-0.1, 12)]);
    expect(strict?.chosen).toBe(0);
  });

  it('stops where a refit cannot be fitted, or fits a structure it already timed', async () => {
    const reachable = (aimedMs: number) => (aimedMs >= 1.9 ? fitAt(aimedMs) : undefined);
    const unreachable = await landOnTarget(2, SEED_MS, reachable, async (fit) => (1.1 * fit.cost) / SEED_MS);
    expect(unreachable?.attempts).toHaveLength(1);
    // Every aim fits the same widths (a budget step smaller than one channel's price): timed once.
    const coarse = await landOnTarget(2, SEED_MS, () => ({ cost: 2, widths: [8] }), async () => 0.6);
    expect(coarse?.attempts).toHaveLength(1);
    expect(coarse?.attempts[0].aimedMs).toBe(2);
  });

  it('is undefined when the target itself cannot be fitted', async () => {
    expect(await landOnTarget(2, SEED_MS, () => undefined, async () => 0.5)).toBeUndefined();
  });
});

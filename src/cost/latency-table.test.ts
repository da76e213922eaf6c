import { describe, expect, it } from 'vitest';
import { interpolateLatency, latencySlopes, type LatencyTableLayer } from './latency-table.js';

/** A 2x2 grid: input widths 2, 4; output widths 10, 20; times 1 2 / 3 5 ms. */
const GRID: LatencyTableLayer = {
  name: 'conv',
  className: 'Conv2D',
  inputShapes: [[null, 8, 8, 4]],
  outputShape: [null, 8, 8, 20],
  inputWidths: [2, 4],
  outputWidths: [10, 20],
  medianMs: [
    [1, 2],
    [3, 5],
  ],
  iqrMs: [
    [0, 0],
    [0, 0],
  ],
};

describe('latency table interpolation', () => {
  it('returns the measured time at a grid point', () => {
    expect(interpolateLatency(GRID, 2, 20)).toBe(2);
    expect(interpolateLatency(GRID, 4, 10)).toBe(3);
  });

  it('is bilinear inside a cell', () => {
    // (3, 15): along the output axis 1.5 (row 2) and 4 (row 4), then halfway: 1.5 + 0.5 * (4 - 1.5).
    expect(interpolateLatency(GRID, 3, 15)).toBeCloseTo(2.75, 12);
  });

  it('extends the end cells linearly past the grid, never below 0 ms', () => {
    // (5, 25): 1.5 cells along each axis: row 2 -> 1 + 1.5 * 1 = 2.5, row 4 -> 3 + 1.5 * 2 = 6, then 2.5 + 1.5 * (6 - 2.5).
    expect(interpolateLatency(GRID, 5, 25)).toBeCloseTo(7.75, 12);
    // (0, 10): one cell below the inputs: 1 - 1 * (3 - 1) = -1, clamped.
    expect(interpolateLatency(GRID, 0, 10)).toBe(0);
  });

  it('past the ends, a falling segment extends flat: fewer channels never cost more there', () => {
    // Output widths 10, 20 at 4 and 3 ms (20 is faster: noise or alignment). Inside: 3.5 at 15;
    // below 10 the fall does not turn into growth: 4 at 5; above 20 nothing falls further: 3 at 30.
    const falling: LatencyTableLayer = { ...GRID, inputWidths: [4], medianMs: [[4, 3]], iqrMs: [[0, 0]] };
    expect(interpolateLatency(falling, 4, 15)).toBe(3.5);
    expect(interpolateLatency(falling, 4, 5)).toBe(4);
    expect(interpolateLatency(falling, 4, 30)).toBe(3);
  });

  it('a slope is the time of the last channel: t(w) - t(w - 1)', () => {
    // t(3, 14): row 2 -> 1 + 0.4 * 1 = 1.4, row 4 -> 3 + 0.4 * 2 = 3.8, halfway 2.6; t(3, 15) = 2.75.
    // t(2, 15) = 1.5 (row 2, halfway).
    const slopes = latencySlopes(GRID, 3, 15);
    expect(slopes.perOutput).toBeCloseTo(2.75 - 2.6, 12);
    expect(slopes.perInput).toBeCloseTo(2.75 - 1.5, 12);
  });

  it('an axis with one sample is a constant: no time per channel along it', () => {
    const depthwise: LatencyTableLayer = { ...GRID, className: 'DepthwiseConv2D', outputWidths: [20], medianMs: [[2], [6]], iqrMs: [[0], [0]] };
    // Inputs 2 -> 2 ms, 4 -> 6 ms: 2 ms per input channel; the output width is ignored.
    expect(interpolateLatency(depthwise, 3, 999)).toBe(4);
    expect(latencySlopes(depthwise, 3, 20)).toEqual({ perInput: 2, perOutput: 0 });
  });
});

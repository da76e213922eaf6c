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

/**
 * A wasm Conv2D timed at output widths 12, 16, 24, 32, 33 (16 inputs): 12 runs XNNPACK
 * (unaligned below 32), 16, 24 and 32 convolution.wat on whole tiles (2, 3, 4 ms: 1/8 ms a
 * channel), 33 convolution.wat padded to 40 (6 ms).
 */
const CLASSED: LatencyTableLayer = {
  ...GRID,
  inputShapes: [[null, 8, 8, 16]],
  outputShape: [null, 8, 8, 32],
  inputWidths: [16],
  outputWidths: [12, 16, 24, 32, 33],
  medianMs: [[3, 2, 3, 4, 6]],
  iqrMs: [[0, 0, 0, 0, 0]],
  widthRules: { output: 'conv-result' },
};

describe('interpolation within kernel-path classes', () => {
  it('a class with two or more samples: piecewise linear through its own samples only', () => {
    // 24 is a simd sample: 3 ms. 40 is simd past the last simd sample: 4 + 8 * 1/8 = 5 (the padded sample at 33 plays no part).
    expect(interpolateLatency(CLASSED, 16, 24)).toBe(3);
    expect(interpolateLatency(CLASSED, 16, 40)).toBe(5);
  });

  it('a class with one sample: the largest class curve scaled through it, at the computed width', () => {
    // XNNPACK: the simd curve at 12 extends 16..24 back half a segment: 2 - 0.5 * 1 = 1.5; its sample is 3: x2.
    // At 20 the simd curve is 2.5 -> 5 (the samples either side, 16 and 24, would say 2.5); at 28: 3.5 -> 7.
    expect(interpolateLatency(CLASSED, 16, 20)).toBe(5);
    expect(interpolateLatency(CLASSED, 16, 28)).toBe(7);
    // Padded: computed 40 where the simd curve is 5; its sample is 6: x1.2. 35 computes 40 -> 6;
    // 41 computes 48, the simd curve 6 -> 7.2.
    expect(interpolateLatency(CLASSED, 16, 35)).toBeCloseTo(6, 12);
    expect(interpolateLatency(CLASSED, 16, 41)).toBeCloseTo(7.2, 12);
  });

  it('a class without samples reads the largest class curve at its computed width', () => {
    const noXnnpackSample: LatencyTableLayer = { ...CLASSED, outputWidths: [16, 24, 32], medianMs: [[2, 3, 4]], iqrMs: [[0, 0, 0]] };
    expect(interpolateLatency(noXnnpackSample, 16, 20)).toBe(2.5);
  });

  it('both axes: along the output in every input row, then along the input within its class', () => {
    // Inputs 4 (XNNPACK: reduction < 8), 8 and 16 (simd); outputs 16 and 32 (simd).
    const grid: LatencyTableLayer = {
      ...GRID,
      inputWidths: [4, 8, 16],
      outputWidths: [16, 32],
      medianMs: [
        [3, 5],
        [1, 2],
        [2, 4],
      ],
      iqrMs: [
        [0, 0],
        [0, 0],
        [0, 0],
      ],
      widthRules: { input: 'conv-reduction', output: 'conv-result' },
    };
    // Output 24 in each row: 4, 1.5, 3. Input 12 (simd: rows 8 and 16): 2.25.
    expect(interpolateLatency(grid, 12, 24)).toBe(2.25);
    // Input 6 (XNNPACK, one row: 4 at 4): the simd rows' curve is 1.5 - 0.5 * 1.5 = 0.75 at 4 and
    // 1.125 at 6, so 4 * 1.125 / 0.75 = 6.
    expect(interpolateLatency(grid, 6, 24)).toBeCloseTo(6, 12);
  });

  it('a row whose reduction runs XNNPACK is one class along the output: not padded', () => {
    // 3 input channels: outputs 16, 24, 33 all XNNPACK, 1/8 ms a channel; 37 is 4.125 + 4/8 (padded to 40 it would be 5.125).
    const image: LatencyTableLayer = { ...CLASSED, inputWidths: [3], outputWidths: [16, 24, 33], medianMs: [[2, 3, 4.125]], iqrMs: [[0, 0, 0]] };
    expect(interpolateLatency(image, 3, 37)).toBeCloseTo(4.625, 12);
  });

  it("a channel's weight is its class's slope, not the jump to the next class", () => {
    // 32 (simd): 4 - the simd curve at 31 (3.875) = 0.125, where XNNPACK at 31 would be 7.75.
    expect(latencySlopes(CLASSED, 16, 32).perOutput).toBeCloseTo(0.125, 12);
    // 31 (XNNPACK): 2 * 3.875 - 2 * 3.75 = 0.25.
    expect(latencySlopes(CLASSED, 16, 31).perOutput).toBeCloseTo(0.25, 12);
    // 37 (padded, computes 40): 1.2 * 5 - 1.2 * 4.875 = 0.15: the tile's time spread over its channels.
    expect(latencySlopes(CLASSED, 16, 37).perOutput).toBeCloseTo(0.15, 12);
    // The one input width is a constant: no weight.
    expect(latencySlopes(CLASSED, 16, 37).perInput).toBe(0);
  });
});

describe('depthwise channels padded to 4', () => {
  it('widths sharing a tile of 4 are one computed width: the wider sample stands for it', () => {
    // Inputs 2, 3 (both padded to 4), 5, 6 (both padded to 8), 9 (padded to 12) at 1, 1.5, 2, 2.5, 3.5 ms; 4 and 8 unsampled.
    // Padded points: (4, 1.5), (8, 2.5), (12, 3.5). At 7 -> computed 8: 2.5; at 10 -> 12: 3.5; at 4 (simd, no sample): the padded curve, 1.5.
    const depthwise: LatencyTableLayer = {
      ...GRID,
      className: 'DepthwiseConv2D',
      inputWidths: [2, 3, 5, 6, 9],
      outputWidths: [6],
      medianMs: [[1], [1.5], [2], [2.5], [3.5]],
      iqrMs: [[0], [0], [0], [0], [0]],
      widthRules: { input: 'depthwise-channels' },
    };
    expect(interpolateLatency(depthwise, 7, 6)).toBe(2.5);
    expect(interpolateLatency(depthwise, 10, 6)).toBe(3.5);
    expect(interpolateLatency(depthwise, 4, 6)).toBe(1.5);
    // The weight of the 7th channel: the padded curve per computed channel, (2.5 - 1.5) / 4 = 0.25.
    expect(latencySlopes(depthwise, 7, 6).perInput).toBeCloseTo(0.25, 12);
  });
});

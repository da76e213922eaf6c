import { describe, expect, it } from 'vitest';
import { sampleWidths, widthsForClasses } from './sample-widths.js';

describe('widths sampled per kernel-path class', () => {
  it('adds one width of each reachable class no sample falls in: the middle of the widths nearest the samples', () => {
    // 64 result channels: 16, 32, 48, 64, 96, all whole tiles of 8 (simd). Reachable in [1, 96]:
    // XNNPACK (unaligned below 32): nearest to 16 is 15, to 32..96 is 31 -> [15, 31] -> 15;
    // padded (unaligned from 33): nearest to 16 and 32 is 33, to 48 47, 64 63, 96 95 -> [33, 47, 63, 95] -> 47.
    expect(sampleWidths(64, 5)).toEqual([16, 32, 48, 64, 96]);
    expect(widthsForClasses([16, 32, 48, 64, 96], 'conv-result')).toEqual([15, 16, 32, 47, 48, 64, 96]);
    // 32 reduction channels: 8..48 all >= 8; 1..7 run XNNPACK: 7 is the nearest to every sample.
    expect(widthsForClasses([8, 16, 24, 32, 48], 'conv-reduction')).toEqual([7, 8, 16, 24, 32, 48]);
  });

  it('adds nothing where every reachable class is sampled, or without a rule', () => {
    // 16 result channels: 4 and 12 are XNNPACK, 8, 16, 24 simd; the padded class starts at 33, past 24.
    expect(widthsForClasses([4, 8, 12, 16, 24], 'conv-result')).toEqual([4, 8, 12, 16, 24]);
    expect(widthsForClasses([16, 32, 48, 64, 96], undefined)).toEqual([16, 32, 48, 64, 96]);
    expect(widthsForClasses([64], 'conv-result')).toEqual([64]);
    // A fixed reduction of 3 channels (an RGB image): every result width runs XNNPACK.
    expect(widthsForClasses([16, 32, 48, 64, 96], 'conv-result', 3)).toEqual([16, 32, 48, 64, 96]);
    // A fixed result of 10 channels (unaligned below 32): every reduction width runs XNNPACK.
    expect(widthsForClasses([8, 16, 24, 32, 48], 'conv-reduction', 10)).toEqual([8, 16, 24, 32, 48]);
  });
});

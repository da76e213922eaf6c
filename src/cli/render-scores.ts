import type { HistogramBin } from '../structure/score-histogram.js';

/**
 * The channel-score histogram shrink ends with, one line per non-empty decade, for choosing
 * shrink.threshold in the gap of the bimodal distribution:
 *   channel scores (threshold 0.01):
 *     [1e-3, 1e-2)     12 ###
 */
export function renderScoreHistogram(histogram: HistogramBin[], threshold: number, indent = '  '): string[] {
  // JSON stores the last bin's open end (Infinity) as null.
  const end = (to: number | null) => (to === null || to === Infinity ? 'inf' : to.toExponential(0));
  return [
    `${indent}channel scores (threshold ${threshold}):`,
    ...histogram
      .filter((bin) => bin.count > 0)
      .map((bin) => `${indent}  [${bin.from.toExponential(0)}, ${end(bin.to)}) ${String(bin.count).padStart(6)} ${'#'.repeat(Math.min(50, Math.ceil(bin.count / 4)))}`),
  ];
}

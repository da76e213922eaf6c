/**
 * Widths at which a layer is timed: `count` samples of its seed width, evenly spaced fractions up
 * to the seed's own width, plus 150% (expand grows some layers past the seed). One sample is the
 * seed's width alone. Rounded to whole channels, at least 1, without repeats.
 */
export function sampleWidths(seedWidth: number, count: number): number[] {
  const fractions = count <= 1 ? [1] : [...Array.from({ length: count - 1 }, (_, i) => (i + 1) / (count - 1)), 1.5];
  return [...new Set(fractions.map((f) => Math.max(1, Math.round(seedWidth * f))))].sort((a, b) => a - b);
}

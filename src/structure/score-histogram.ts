/** Counts of channel scores per decade, to show where the bimodal gap (the threshold) lies. */
export interface HistogramBin {
  from: number;
  to: number;
  count: number;
}

export function scoreHistogram(scores: ArrayLike<number>, decades: [number, number] = [-6, 1]): HistogramBin[] {
  const bins: HistogramBin[] = [];
  bins.push({ from: 0, to: 10 ** decades[0], count: 0 });
  for (let d = decades[0]; d < decades[1]; d++) bins.push({ from: 10 ** d, to: 10 ** (d + 1), count: 0 });
  bins.push({ from: 10 ** decades[1], to: Infinity, count: 0 });
  for (let i = 0; i < scores.length; i++) {
    const s = Math.abs(scores[i]);
    const bin = bins.find((b) => s >= b.from && s < b.to) ?? bins[bins.length - 1];
    bin.count++;
  }
  return bins;
}

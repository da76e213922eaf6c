import type { Timing } from '../cost/latency-table.js';

/** How each time is taken: runs to discard, timed samples, and the least time a sample spans. */
export interface TimingProtocol {
  /** Untimed runs before the samples: at least this many, and for at least `warmupMs`. */
  warmup: number;
  warmupMs: number;
  repeats: number;
  /** A sample times as many back-to-back runs as fill this many ms (a fast op is timed over many runs). */
  minSampleMs: number;
}

export const DEFAULT_PROTOCOL: TimingProtocol = { warmup: 2, warmupMs: 20, repeats: 9, minSampleMs: 2 };

/** The q-quantile of sorted values, linear between neighbours. */
function quantile(sorted: number[], q: number): number {
  const position = q * (sorted.length - 1);
  const low = Math.floor(position);
  const high = Math.min(low + 1, sorted.length - 1);
  return sorted[low] + (position - low) * (sorted[high] - sorted[low]);
}

/** Median and quartiles of samples, in ms. */
export interface SampleQuartiles {
  medianMs: number;
  p25Ms: number;
  p75Ms: number;
}

/** The median and the first and third quartiles, linear between neighbours. */
export function quartilesOf(samples: number[]): SampleQuartiles {
  const sorted = [...samples].sort((a, b) => a - b);
  return { medianMs: quantile(sorted, 0.5), p25Ms: quantile(sorted, 0.25), p75Ms: quantile(sorted, 0.75) };
}

/** Median and interquartile range of samples. */
export function summarizeSamples(samples: number[]): Timing {
  const { medianMs, p25Ms, p75Ms } = quartilesOf(samples);
  return { medianMs, iqrMs: p75Ms - p25Ms };
}

/**
 * Times a synchronous run and returns the samples: warm-up runs discarded (the last one also
 * sizes the samples), then `repeats` samples, each the mean of as many back-to-back runs as span
 * `minSampleMs`.
 */
export function sampleRuns(run: () => void, protocol: TimingProtocol): number[] {
  let lastMs = 0;
  const warmupStart = performance.now();
  for (let i = 0; i < Math.max(1, protocol.warmup) || performance.now() - warmupStart < protocol.warmupMs; i++) {
    const start = performance.now();
    run();
    lastMs = performance.now() - start;
  }
  const runsPerSample = Math.min(1000, Math.max(1, Math.ceil(protocol.minSampleMs / Math.max(lastMs, 1e-3))));
  const samples: number[] = [];
  for (let r = 0; r < protocol.repeats; r++) {
    const start = performance.now();
    for (let k = 0; k < runsPerSample; k++) run();
    samples.push((performance.now() - start) / runsPerSample);
  }
  return samples;
}

/** Times a synchronous run (`sampleRuns`): the median of the samples and their interquartile range. */
export function timeRuns(run: () => void, protocol: TimingProtocol): Timing {
  return summarizeSamples(sampleRuns(run, protocol));
}

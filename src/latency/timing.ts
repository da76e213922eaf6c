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
  const runs = runsPerSample(warmUp(run, protocol.warmup, protocol.warmupMs), protocol.minSampleMs);
  return Array.from({ length: protocol.repeats }, () => sampleOf(run, runs));
}

/** How two runs are timed against each other (`samplePaired`): warm-up as in `TimingProtocol`, then `pairs` pairs of samples. */
export interface PairedProtocol {
  warmup: number;
  warmupMs: number;
  pairs: number;
  minSampleMs: number;
  /** First, both run in turn until their speed settles (`warmUntilSteady`). */
  steady?: SteadyWarmup;
}

/**
 * How long a pair runs before it is timed (`PairedProtocol.steady`): at least 0.5 s, until 3
 * chunks of 100 ms bring no new best, at most 5 s. A model rebuilt moments before runs slow for a
 * while: four copies of zoo:cnn with every group at 50%, timed against the seed right after they
 * were built, measured 0.80, 0.73, 0.54 and 0.57 of its time, and 0.42-0.55 in three rounds after
 * that; warmed this way first, 0.41-0.48 in all four rounds.
 */
export const PAIR_WARMUP: SteadyWarmup = { minMs: 500, maxMs: 5000, chunkMs: 100, settledChunks: 3 };

/** Each run's samples and, per pair, the ratio of the run's sample to the reference's beside it. */
export interface PairedSamples {
  samples: number[];
  referenceSamples: number[];
  ratios: number[];
}

/** How many back-to-back runs fill a sample of `minSampleMs`, from the time of one run. */
const runsPerSample = (runMs: number, minSampleMs: number) => Math.min(1000, Math.max(1, Math.ceil(minSampleMs / Math.max(runMs, 1e-3))));

/** Warm-up runs discarded (at least `warmup`, for at least `warmupMs`); returns the last one's time. */
function warmUp(run: () => void, warmup: number, warmupMs: number): number {
  let lastMs = 0;
  const start = performance.now();
  for (let i = 0; i < Math.max(1, warmup) || performance.now() - start < warmupMs; i++) {
    const runStart = performance.now();
    run();
    lastMs = performance.now() - runStart;
  }
  return lastMs;
}

/** One sample: the mean time of `runs` back-to-back runs. */
function sampleOf(run: () => void, runs: number): number {
  const start = performance.now();
  for (let k = 0; k < runs; k++) run();
  return (performance.now() - start) / runs;
}

/**
 * Times `run` against `reference` in adjacent pairs of samples, the order alternating (run first,
 * then reference first, ...), so both see the machine at the same moment: on this project's 2-core
 * VM the speed drifts by tens of percent over seconds to minutes, and the median of the per-pair
 * ratios measured a half-width model's share of the seed with a tenth of the spread that blocks of
 * samples gave. Both are warmed up first (until steady, with `steady`); each sample is the mean
 * of back-to-back runs spanning `minSampleMs`.
 */
export function samplePaired(run: () => void, reference: () => void, protocol: PairedProtocol): PairedSamples {
  if (protocol.steady) {
    warmUntilSteady(() => {
      run();
      reference();
    }, protocol.steady);
  }
  const runs = runsPerSample(warmUp(run, protocol.warmup, protocol.warmupMs), protocol.minSampleMs);
  const referenceRuns = runsPerSample(warmUp(reference, protocol.warmup, protocol.warmupMs), protocol.minSampleMs);
  const paired: PairedSamples = { samples: [], referenceSamples: [], ratios: [] };
  for (let pair = 0; pair < protocol.pairs; pair++) {
    const runFirst = pair % 2 === 0;
    const first = runFirst ? sampleOf(run, runs) : sampleOf(reference, referenceRuns);
    const second = runFirst ? sampleOf(reference, referenceRuns) : sampleOf(run, runs);
    const [sample, referenceSample] = runFirst ? [first, second] : [second, first];
    paired.samples.push(sample);
    paired.referenceSamples.push(referenceSample);
    paired.ratios.push(sample / referenceSample);
  }
  return paired;
}

/** How long `warmUntilSteady` runs: in chunks of `chunkMs`, at least `minMs` and at most `maxMs`, until `settledChunks` in a row bring no new best. */
export interface SteadyWarmup {
  minMs: number;
  maxMs: number;
  chunkMs: number;
  settledChunks: number;
}

/** A chunk this much faster than the best so far is still warming up. */
const STILL_WARMING = 0.98;

/**
 * Runs `run` untimed until its speed settles: the median run of each chunk against the fastest
 * chunk's so far, until `settledChunks` chunks in a row are not 2% faster. A process's first
 * inferences are slow while V8 and the wasm engine optimize: measured here, the MNIST CNN took
 * 2.1 ms per inference in its first half second, 1.0 ms in the second and 0.72 ms from the third
 * second on; ResNet-20 7.9, 4.9, then 3.9-4.1 ms. Returns the time it ran, in ms.
 */
export function warmUntilSteady(run: () => void, options: SteadyWarmup): number {
  const start = performance.now();
  let best = Number.POSITIVE_INFINITY;
  let settled = 0;
  while (performance.now() - start < options.maxMs && (settled < options.settledChunks || performance.now() - start < options.minMs)) {
    const times: number[] = [];
    const chunkStart = performance.now();
    while (times.length === 0 || performance.now() - chunkStart < options.chunkMs) {
      const runStart = performance.now();
      run();
      times.push(performance.now() - runStart);
    }
    const chunkMs = quartilesOf(times).medianMs;
    settled = chunkMs < best * STILL_WARMING ? 0 : settled + 1;
    best = Math.min(best, chunkMs);
  }
  return performance.now() - start;
}

/**
 * Times several runs in turn: each warmed up, then `repeats` rounds of one sample of each, so a
 * burst of slowness on the machine (tens of ms here) costs each run a sample rather than one run
 * all its samples. Returns each run's samples.
 */
export function sampleRoundRobin(runs: Array<() => void>, protocol: TimingProtocol): number[][] {
  const counts = runs.map((run) => runsPerSample(warmUp(run, protocol.warmup, protocol.warmupMs), protocol.minSampleMs));
  const samples = runs.map((): number[] => []);
  for (let r = 0; r < protocol.repeats; r++) runs.forEach((run, i) => samples[i].push(sampleOf(run, counts[i])));
  return samples;
}

/** Times a synchronous run (`sampleRuns`): the median of the samples and their interquartile range. */
export function timeRuns(run: () => void, protocol: TimingProtocol): Timing {
  return summarizeSamples(sampleRuns(run, protocol));
}

import type { AugmentOptions } from './augment.js';

/**
 * `count` samples of `shape` with integer class labels, read by index. Labels are always in
 * memory; the values are either held in memory (`x`) or read on demand (image folders decode
 * their files, large .npy files are read at offsets), so a dataset never has to fit in memory.
 */
export interface Samples {
  count: number;
  shape: number[];
  labels: Int32Array;
  /** Writes the samples at `indices`, in that order, row-major into `out` (indices.length * sampleSize values). */
  read(indices: ArrayLike<number>, out: Float32Array): void;
  /** The same as `read`, off the main thread where the source can (image folders decode in worker threads). */
  readAhead?(indices: ArrayLike<number>): Promise<Float32Array>;
  /** The largest value the source can hold when it is known without reading (8-bit images: 255). */
  maxValue?: number;
  /** Every value, when the samples are held in memory as one array. */
  x?: Float32Array;
}

/** What every data source returns: training samples and, where the source has one, a test set. */
export interface RawDataset {
  name: string;
  train: Samples;
  test?: Samples;
  numClasses: number;
  /** Class names where the source has them (image folders, csv label values), in class-index order. */
  classNames?: string[];
}

/** A dataset ready to train on: normalised, fitted to the model, split into train and validation. */
export interface Dataset extends RawDataset {
  validation: Samples;
  /** Random crops and flips for training batches (data.augment); none when absent. */
  augment?: AugmentOptions;
  /** Human-readable facts for run.json and logs. */
  summary: { source: string; train: number; validation: number; test: number; sampleShape: number[]; numClasses: number };
}

/** Where a source reads from and what the model it feeds expects. */
export interface SourceOptions {
  path: string | null;
  seed: number;
  /** The model's input shape without batch (image-folder resizes to it; synthetic uses it). */
  modelInputShape: number[];
  /** The model's number of output classes (synthetic uses it). */
  modelClasses: number;
  /** Names of the model's output units in order (a Teachable Machine metadata.json's labels): class folders with exactly these names take this order. */
  modelClassNames?: string[];
  labelColumn?: string | number;
  samples?: number;
  classes?: number;
  shape?: number[];
}

export const sampleSize = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Samples held in memory as one array. */
export type InMemorySamples = Samples & { x: Float32Array };

export function makeSamples(x: Float32Array, labels: Int32Array, shape: number[]): InMemorySamples {
  const size = sampleSize(shape);
  return {
    x,
    labels,
    shape,
    count: labels.length,
    read(indices, out) {
      for (let i = 0; i < indices.length; i++) out.set(x.subarray(indices[i] * size, (indices[i] + 1) * size), i * size);
    },
  };
}

/** The samples at `indices` as a new Float32Array. */
export function readSamples(samples: Samples, indices: ArrayLike<number>): Float32Array {
  const out = new Float32Array(indices.length * sampleSize(samples.shape));
  samples.read(indices, out);
  return out;
}

/** `readSamples`, off the main thread when the samples can be read there. */
export function readSamplesAhead(samples: Samples, indices: ArrayLike<number>): Promise<Float32Array> {
  if (samples.readAhead) return samples.readAhead(indices);
  return Promise.resolve().then(() => readSamples(samples, indices));
}

const range = (start: number, end: number) => Int32Array.from({ length: end - start }, (_, i) => start + i);

/** Every sample's values, in order (for small data and tests; streamed data is read in batches instead). */
export function readAllSamples(samples: Samples): Float32Array {
  return samples.x ?? readSamples(samples, range(0, samples.count));
}

/** Calls `visit` with consecutive chunks of the samples' values, `chunk` samples at a time: bounded memory for any size. */
export function forEachChunk(samples: Samples, chunk: number, visit: (values: Float32Array) => void): void {
  if (samples.x) {
    visit(samples.x);
    return;
  }
  for (let start = 0; start < samples.count; start += chunk) visit(readSamples(samples, range(start, Math.min(start + chunk, samples.count))));
}

/** A view of the samples at `indices`, in that order: nothing is copied, reads go to the underlying samples. */
export function selectSamples(samples: Samples, indices: ArrayLike<number>): Samples {
  const map = Int32Array.from(indices);
  const through = (wanted: ArrayLike<number>) => Int32Array.from({ length: wanted.length }, (_, i) => map[wanted[i]]);
  return {
    count: map.length,
    shape: samples.shape,
    labels: Int32Array.from(map, (i) => samples.labels[i]),
    maxValue: samples.maxValue,
    read: (wanted, out) => samples.read(through(wanted), out),
    readAhead: samples.readAhead && ((wanted) => samples.readAhead!(through(wanted))),
  };
}

/** A view of the samples whose values pass through `transform` (in place) as they are read. */
export function transformSamples(samples: Samples, transform: (values: Float32Array) => void): Samples {
  return {
    count: samples.count,
    shape: samples.shape,
    labels: samples.labels,
    read(indices, out) {
      samples.read(indices, out);
      transform(out);
    },
    readAhead: samples.readAhead && (async (indices) => {
      const values = await samples.readAhead!(indices);
      transform(values);
      return values;
    }),
  };
}

/** Samples held in memory: `count` samples of `shape`, row-major, with integer class labels. */
export interface Samples {
  x: Float32Array;
  labels: Int32Array;
  shape: number[];
  count: number;
}

/** What every data source returns: training samples and, where the source has one, a test set. */
export interface RawDataset {
  name: string;
  train: Samples;
  test?: Samples;
  numClasses: number;
  /** Class names where the source has them (image folders, csv label values). */
  classNames?: string[];
}

/** A dataset ready to train on: normalised, fitted to the model, split into train and validation. */
export interface Dataset extends RawDataset {
  validation: Samples;
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
  labelColumn?: string | number;
  samples?: number;
  classes?: number;
  shape?: number[];
}

export const sampleSize = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

export function makeSamples(x: Float32Array, labels: Int32Array, shape: number[]): Samples {
  return { x, labels, shape, count: labels.length };
}

/** The samples at `indices`, in that order. */
export function selectSamples(samples: Samples, indices: ArrayLike<number>): Samples {
  const size = sampleSize(samples.shape);
  const x = new Float32Array(indices.length * size);
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const from = indices[i];
    x.set(samples.x.subarray(from * size, (from + 1) * size), i * size);
    labels[i] = samples.labels[from];
  }
  return makeSamples(x, labels, samples.shape);
}

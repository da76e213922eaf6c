import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { modelError } from '../errors.js';
import { writeJsonAtomic } from '../run-dir/atomic.js';

/**
 * A Teachable Machine export's metadata.json: `labels` names the model's output units in order
 * (the web library shows labels[i] for output i); the other fields (imageSize, tmVersion,
 * modelName, ...) are carried along as they are.
 */
export interface TeachableMachineMetadata {
  labels: string[];
  [field: string]: unknown;
}

const METADATA_FILE = 'metadata.json';

/** The metadata.json beside a model file, when there is one with a list of labels (a Teachable Machine export). */
export function readTeachableMachineMetadata(modelPath: string | undefined): TeachableMachineMetadata | undefined {
  if (!modelPath) return undefined;
  const file = join(dirname(modelPath), METADATA_FILE);
  if (!existsSync(file)) return undefined;
  let metadata: unknown;
  try {
    metadata = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw modelError(`${file} is not valid JSON: ${(error as Error).message}`, 'restore the metadata.json of the Teachable Machine export, or remove it');
  }
  const labels = (metadata as { labels?: unknown }).labels;
  if (!Array.isArray(labels) || !labels.every((label) => typeof label === 'string')) return undefined;
  return metadata as TeachableMachineMetadata;
}

/** The seed model's output-unit names (its metadata.json's labels), so an image folder of those classes keeps their order. */
export function seedClassNames(model: { path?: string }): string[] | undefined {
  return readTeachableMachineMetadata(model.path)?.labels;
}

/**
 * The metadata of a model trained from the seed: the seed's fields, with `labels` in the order of
 * the trained model's output units. Those are the data's class names (an image folder's, which
 * follow the seed's labels when the folders are exactly them); without names, the seed's labels
 * when the unit count is unchanged, else "class 0", "class 1", ...
 */
export function trainedMetadata(seed: TeachableMachineMetadata, classNames: string[] | undefined, units: number): TeachableMachineMetadata {
  const labels = classNames?.length === units ? classNames : seed.labels.length === units ? seed.labels : Array.from({ length: units }, (_, i) => `class ${i}`);
  return { ...seed, labels: [...labels] };
}

/**
 * Writes metadata.json into a saved model's folder when the seed came with one (a Teachable
 * Machine export), so a web page that loads the model with its labels keeps working.
 * Returns the labels written, or undefined when the seed has no metadata.
 */
export function writeTrainedMetadata(modelDir: string, seedModelPath: string | undefined, classNames: string[] | undefined, units: number): string[] | undefined {
  const seed = readTeachableMachineMetadata(seedModelPath);
  if (!seed) return undefined;
  const metadata = trainedMetadata(seed, classNames, units);
  writeJsonAtomic(join(modelDir, METADATA_FILE), metadata);
  return metadata.labels;
}

/** Copies a saved model's metadata.json (if it has one) into another model folder, e.g. an export. */
export function copyModelMetadata(fromDir: string, toDir: string): void {
  const file = join(fromDir, METADATA_FILE);
  if (existsSync(file)) writeJsonAtomic(join(toDir, METADATA_FILE), JSON.parse(readFileSync(file, 'utf8')));
}

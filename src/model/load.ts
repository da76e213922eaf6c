import { existsSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { MorphnetError, modelError } from '../errors.js';
import { fileSystemHandler } from './file-io.js';
import { loadKerasArchive } from './keras/read-keras.js';
import { loadKerasH5 } from './keras/read-h5.js';
import { buildZooModel, parseZooSpec } from './zoo/registry.js';

/** Where a model comes from: a `zoo:NAME[?k=v]` spec or a path, plus zoo options from a config. */
export interface ModelSource {
  zoo?: string;
  path?: string;
  options?: Record<string, unknown>;
}

/** Human-readable identity of a model source, as written into structure files. */
export function describeModelSource(source: ModelSource): string {
  return source.zoo ? `zoo:${source.zoo.replace(/^zoo:/, '')}` : String(source.path);
}

export function modelSourceFromSpec(spec: string): ModelSource {
  return spec.startsWith('zoo:') ? { zoo: spec } : { path: spec };
}

/** Resolves a path to a model.json: the file itself, or model.json inside a directory. */
function modelJsonPath(path: string): string {
  if (existsSync(path) && statSync(path).isDirectory()) return join(path, 'model.json');
  return path;
}

export async function loadModel(source: ModelSource, seed = 1): Promise<tf.LayersModel> {
  if (source.zoo) {
    const { name, options } = parseZooSpec(source.zoo);
    return buildZooModel(name, { ...options, ...source.options }, seed);
  }
  const path = source.path!;
  const extension = extname(path).toLowerCase();
  if (extension === '.h5' || extension === '.hdf5') return loadKerasH5(path);
  if (extension === '.keras') return loadKerasArchive(path);
  const file = modelJsonPath(path);
  try {
    return await tf.loadLayersModel(fileSystemHandler(file));
  } catch (error) {
    if (error instanceof MorphnetError) throw error;
    throw modelError(`cannot build the model in ${file}: ${(error as Error).message}`, 'the file must be a tfjs Layers model (model.json with "modelTopology"); layers must be built-in Keras/tfjs classes');
  }
}

/** Saves a model as model.json + weights.bin in `dir`, readable by stock `tf.loadLayersModel`. */
export async function saveModel(model: tf.LayersModel, dir: string): Promise<void> {
  await model.save(fileSystemHandler(join(dir, 'model.json')));
}

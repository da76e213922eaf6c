import { existsSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { installSeparableConvConfig } from '../backend/separable-conv-config.js';
import { MorphnetError, describeValue, modelError, usageError } from '../errors.js';
import { fileSystemHandler } from './file-io.js';
import { numOutputs, replaceHead } from './head.js';
import { loadKerasArchive } from './keras/read-keras.js';
import { loadKerasH5 } from './keras/read-h5.js';
import { buildZooModel, parseZooSpec } from './zoo/registry.js';

/** `model.classes`: the classes to train for; `auto` takes the data's class count. */
export type ModelClasses = number | 'auto';

/** Where a model comes from: a `zoo:NAME[?k=v]` spec or a path, plus zoo options and `model.classes` from a config. */
export interface ModelSource {
  zoo?: string;
  path?: string;
  options?: Record<string, unknown>;
  classes?: ModelClasses;
}

/** Human-readable identity of a model source, as written into structure files. */
export function describeModelSource(source: ModelSource): string {
  return source.zoo ? `zoo:${source.zoo.replace(/^zoo:/, '')}` : String(source.path);
}

/**
 * A model given on the command line: `zoo:NAME[?k=v]`, or a path with an optional `?classes=N`
 * (or `?classes=auto`), the command-line form of `model.classes`.
 */
export function modelSourceFromSpec(spec: string): ModelSource {
  if (spec.startsWith('zoo:')) return { zoo: spec };
  const query = spec.lastIndexOf('?');
  if (query < 0 || existsSync(spec)) return { path: spec };
  const path = spec.slice(0, query);
  const given = Object.fromEntries(new URLSearchParams(spec.slice(query + 1)));
  const unknown = Object.keys(given).filter((key) => key !== 'classes');
  if (unknown.length > 0) {
    throw usageError(
      `model ${describeValue(spec)}: a model file takes only ?classes=N, received ?${unknown.join('&')}`,
      `e.g. ${path}?classes=3 to train it for 3 classes with a fresh classifier head; width and inputShape are zoo options`,
    );
  }
  return { path, classes: parseClasses(given.classes, spec) };
}

function parseClasses(text: string, spec: string): ModelClasses {
  if (text === 'auto') return 'auto';
  const classes = Number(text);
  if (!Number.isInteger(classes) || classes < 1) {
    throw usageError(`model ${describeValue(spec)}: classes expected a positive integer or auto, received ${describeValue(text)}`, 'e.g. ?classes=3');
  }
  return classes;
}

/** Resolves a path to a model.json: the file itself, or model.json inside a directory. */
function modelJsonPath(path: string): string {
  if (existsSync(path) && statSync(path).isDirectory()) return join(path, 'model.json');
  return path;
}

/**
 * Loads a model as it will be trained: with `classes: N`, a zoo model is built for N classes and
 * a model file gets a fresh N-class classifier head (see head.ts). `classes: auto` waits for the
 * data's class count (fitModelToClasses).
 */
export async function loadModel(source: ModelSource, seed = 1): Promise<tf.LayersModel> {
  if (source.zoo) return loadZooModel(source, seed);
  const model = await loadModelFile(source.path!);
  return typeof source.classes === 'number' ? withHead(model, source.classes, seed) : model;
}

/** The model fitted to the data's class count, for `classes: auto`: what loadModel gives for `classes: numClasses`. */
export async function fitModelToClasses(model: tf.LayersModel, source: ModelSource, numClasses: number, seed = 1): Promise<tf.LayersModel> {
  if (numOutputs(model) === numClasses) return model;
  if (source.zoo) {
    model.dispose();
    return loadZooModel({ ...source, classes: numClasses }, seed);
  }
  return withHead(model, numClasses, seed);
}

async function withHead(model: tf.LayersModel, classes: number, seed: number): Promise<tf.LayersModel> {
  const reheaded = await replaceHead(model, classes, seed);
  if (reheaded !== model) model.dispose();
  return reheaded;
}

function loadZooModel(source: ModelSource, seed: number): tf.LayersModel {
  const { name, options } = parseZooSpec(source.zoo!);
  const given: Record<string, unknown> = { ...options, ...source.options };
  if (typeof source.classes === 'number') {
    if (given.classes !== undefined && Number(given.classes) !== source.classes) {
      throw usageError(
        `zoo:${name}: model.classes is ${source.classes} but the zoo option classes is ${describeValue(given.classes)}`,
        'set the class count once: model.classes (or auto, the data\'s class count), and drop the classes option',
      );
    }
    given.classes = source.classes;
  }
  return buildZooModel(name, given, seed);
}

async function loadModelFile(path: string): Promise<tf.LayersModel> {
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

/**
 * Saves a model as model.json + weights.bin in `dir`, readable by stock `tf.loadLayersModel`.
 * The SeparableConv2D config fix goes in here too, so that no file is written without it.
 */
export async function saveModel(model: tf.LayersModel, dir: string): Promise<void> {
  installSeparableConvConfig();
  await model.save(fileSystemHandler(join(dir, 'model.json')));
}

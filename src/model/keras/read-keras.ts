import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { unzipSync } from 'fflate';
import { MorphnetError, modelError } from '../../errors.js';
import { checkKerasLayers } from './classes.js';
import { groupAt, openH5, type H5Dataset, type H5File, type H5Group } from './h5.js';
import { fromKeras3Config, type Json, type JsonObject } from './keras3-config.js';
import { kerasClassName, keras3LayerPaths } from './weight-paths.js';

/** Keras versions whose `.keras` archives hold config.json + model.weights.h5 (2.13 and later). */
const READABLE_VERSION = /^(3\.|2\.(1[3-9]|[2-9]\d)\.)/;

function readArchive(path: string): Record<string, Uint8Array> {
  if (!existsSync(path)) throw modelError(`model file ${path} does not exist`, 'pass the path of a Keras .keras or .h5 file, a tfjs model.json, or a zoo:NAME');
  try {
    return unzipSync(readFileSync(path));
  } catch {
    throw modelError(`${path} is not a zip archive, which a Keras .keras file is`, 'save the model in Keras with model.save("model.keras")');
  }
}

function checkArchiveVersion(entries: Record<string, Uint8Array>, path: string): void {
  const metadata = entries['metadata.json'] ? JSON.parse(new TextDecoder().decode(entries['metadata.json'])) : {};
  const version = String(metadata.keras_version ?? 'unknown');
  if (version !== 'unknown' && !READABLE_VERSION.test(version)) {
    throw new MorphnetError('unsupported', `${path} was written by Keras ${version}; .keras files are read as Keras 2.13+ and 3.x write them`, 'save the model again with Keras 3 (model.save("m.keras")) or as .h5 from Keras 2');
  }
}

interface WeightWalk {
  file: H5File;
  path: string;
  /** Variable groups the walk assigned to a layer. */
  used: Set<string>;
}

/** Sets a layer's weights from `<path>/vars/0, 1, ...`, in the order Keras saved them. */
function assignLayerWeights(layer: tf.layers.Layer, varsPath: string, walk: WeightWalk): void {
  const group = groupAt(walk.file, varsPath);
  const names = group ? group.keys().sort((a, b) => Number(a) - Number(b)) : [];
  if (layer.weights.length === 0 && names.length === 0) return;
  if (names.length !== layer.weights.length) {
    throw modelError(`${walk.path}: layer ${layer.name} has ${layer.weights.length} weights, but ${varsPath} in model.weights.h5 holds ${names.length}`, 'the archive is damaged or was edited; save it again from Keras');
  }
  walk.used.add(varsPath);
  const tensors = names.map((name) => {
    const dataset = group!.get(name) as H5Dataset;
    return tf.tensor(Float32Array.from(dataset.value as ArrayLike<number>), dataset.shape as number[]);
  });
  try {
    layer.setWeights(tensors);
  } catch (error) {
    throw modelError(`${walk.path}: the weights at ${varsPath} do not fit layer ${layer.name}: ${(error as Error).message}`, 'the archive is damaged or was edited; save it again from Keras');
  } finally {
    tf.dispose(tensors);
  }
}

/** Walks the (converted) config's layers in Keras's order, assigning each its variables. */
function assignWeights(container: tf.LayersModel, layers: JsonObject[], prefix: string, nestedKey: string, walk: WeightWalk): void {
  const entries = keras3LayerPaths(layers, (entry) => kerasClassName(String(entry.class_name)), prefix);
  for (const { layer: entry, path } of entries) {
    if (entry.class_name === 'InputLayer') continue;
    const layer = container.getLayer(String((entry.config as JsonObject).name));
    if (layer instanceof tf.LayersModel) assignWeights(layer, ((entry.config as JsonObject).layers ?? []) as JsonObject[], `${path}/${nestedKey}`, nestedKey, walk);
    else assignLayerWeights(layer, `${path}/vars`, walk);
  }
}

/** Every non-empty `vars` group under `path`. */
function variableGroups(group: H5Group, path: string, into: string[] = []): string[] {
  for (const key of group.keys()) {
    const child = group.get(key) as H5Group;
    if (child.type !== 'Group') continue;
    const childPath = path ? `${path}/${key}` : key;
    if (key === 'vars' && child.keys().length > 0) into.push(childPath);
    else variableGroups(child, childPath, into);
  }
  return into;
}

/**
 * Reads a Keras `.keras` archive (Keras 3, and Keras 2.13+): `config.json` holds the model in
 * Keras 3's serialization, `model.weights.h5` its variables at paths named by layer class and
 * position (`layers/conv2d_1/vars/0`, see weight-paths.ts), which this reads from the file.
 */
export async function loadKerasArchive(path: string): Promise<tf.LayersModel> {
  const entries = readArchive(path);
  checkArchiveVersion(entries, path);
  if (!entries['config.json']) throw modelError(`${path} has no config.json, so it is not a Keras .keras archive`, 'save the model in Keras with model.save("model.keras")');
  const weights = entries['model.weights.h5'];
  if (!weights) {
    const hint = entries['model.weights.npz'] ? 'save it with the default weights format (h5)' : 'save the whole model with model.save("model.keras")';
    throw new MorphnetError('unsupported', `${path} has no model.weights.h5`, hint);
  }
  const kerasConfig = JSON.parse(new TextDecoder().decode(entries['config.json'])) as Json;
  const modelConfig = fromKeras3Config(kerasConfig, path) as JsonObject;
  checkKerasLayers(modelConfig, path);
  let model: tf.LayersModel;
  try {
    model = (await tf.models.modelFromJSON({ modelTopology: modelConfig as tf.io.ModelJSON['modelTopology'] } as tf.io.ModelJSON)) as tf.LayersModel;
  } catch (error) {
    throw modelError(`cannot build the Keras model in ${path}: ${(error as Error).message}`, 'the model must use built-in Keras layers that tfjs supports');
  }
  const dir = mkdtempSync(join(tmpdir(), 'morphnet-keras-'));
  try {
    const h5Path = join(dir, 'model.weights.h5');
    writeFileSync(h5Path, weights);
    const file = await openH5(h5Path, 'r');
    try {
      const nestedKey = groupAt(file, 'layers') ? 'layers' : '_layer_checkpoint_dependencies';
      const walk: WeightWalk = { file, path, used: new Set() };
      const layers = ((modelConfig.config as JsonObject).layers ?? []) as JsonObject[];
      assignWeights(model, layers, nestedKey, nestedKey, walk);
      const stray = variableGroups(groupAt(file, nestedKey) ?? file, nestedKey).filter((group) => !walk.used.has(group));
      if (stray.length > 0) {
        throw modelError(`${path}: model.weights.h5 holds variables no layer of config.json takes: ${stray.slice(0, 5).join(', ')}`, 'the archive mixes two models; save it again from Keras');
      }
    } finally {
      file.close();
    }
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return model;
}

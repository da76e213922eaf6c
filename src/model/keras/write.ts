import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { zipSync } from 'fflate';
import { writeFileAtomic } from '../../run-dir/atomic.js';
import { openH5, writeAsciiAttribute, writeFloat32, writeUtf8Attribute, type H5Group } from './h5.js';
import { annotateKerasObjects, keras3Model, type Json, type JsonObject, type LayerShapes } from './keras3-config.js';
import { kerasClassName, keras3LayerPaths } from './weight-paths.js';

/** The Keras versions whose file layouts these writers follow. */
export const KERAS2_VERSION = '2.15.0';
export const KERAS3_VERSION = '3.6.0';

/** Keras saves a layer's trainable variables first, then the others: tfjs's `layer.weights` order. */
function weightValues(layer: tf.layers.Layer): Array<{ name: string; values: Float32Array; shape: number[] }> {
  return layer.weights.map((weight) => ({ name: weight.originalName, values: weight.read().dataSync() as Float32Array, shape: weight.shape as number[] }));
}

/** Writes an HDF5 file through a temp file (h5wasm writes paths) and returns its bytes. */
async function h5Bytes(fill: (root: H5Group) => void): Promise<Uint8Array> {
  const dir = mkdtempSync(join(tmpdir(), 'morphnet-h5-'));
  try {
    const path = join(dir, 'out.h5');
    const file = await openH5(path, 'w');
    try {
      fill(file);
    } finally {
      file.close();
    }
    return readFileSync(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Initializer and similar configs annotated as Keras writes them, at every layer of a topology. */
function annotateLayers(config: JsonObject): JsonObject {
  const layers = (config.layers ?? []) as JsonObject[];
  return {
    ...config,
    layers: layers.map((entry) => {
      const inner = entry.config as JsonObject;
      const isModel = entry.class_name === 'Sequential' || entry.class_name === 'Model';
      return { ...entry, class_name: kerasClassName(String(entry.class_name)), config: isModel ? annotateLayers(inner) : annotateKerasObjects(inner) };
    }),
  };
}

/**
 * A Keras 2 HDF5 model, laid out as Keras 2.15's `model.save("m.h5")` lays it out: root
 * attributes `backend`, `keras_version`, `model_config`; group `model_weights` with
 * `layer_names`; per layer a group with `weight_names` and the datasets under those names;
 * and an empty `top_level_model_weights` group.
 */
export async function writeKerasH5(model: tf.LayersModel, path: string): Promise<void> {
  const topology = model.toJSON(null, false) as JsonObject;
  const modelConfig = { class_name: kerasClassName(String(topology.class_name)), config: annotateLayers(topology.config as JsonObject) };
  const bytes = await h5Bytes((root) => {
    writeUtf8Attribute(root, 'backend', 'tensorflow');
    writeUtf8Attribute(root, 'keras_version', KERAS2_VERSION);
    writeAsciiAttribute(root, 'model_config', JSON.stringify(modelConfig));
    const weightsGroup = root.create_group('model_weights');
    writeAsciiAttribute(weightsGroup, 'backend', 'tensorflow');
    writeAsciiAttribute(weightsGroup, 'keras_version', KERAS2_VERSION);
    writeAsciiAttribute(weightsGroup, 'layer_names', model.layers.map((layer) => layer.name));
    for (const layer of model.layers) writeWeightGroup(weightsGroup.create_group(layer.name), weightValues(layer));
    writeWeightGroup(weightsGroup.create_group('top_level_model_weights'), []);
  });
  writeFileAtomic(path, bytes);
}

function writeWeightGroup(group: H5Group, weights: ReturnType<typeof weightValues>): void {
  const names = weights.map((weight) => `${weight.name}:0`);
  writeAsciiAttribute(group, 'weight_names', names);
  weights.forEach((weight, i) => {
    const [scope, leaf] = splitLast(names[i]);
    writeFloat32(scope ? ensureGroup(group, scope) : group, leaf, weight.values, weight.shape);
  });
}

function splitLast(name: string): [string, string] {
  const slash = name.lastIndexOf('/');
  return slash < 0 ? ['', name] : [name.slice(0, slash), name.slice(slash + 1)];
}

function ensureGroup(parent: H5Group, path: string): H5Group {
  let group = parent;
  for (const part of path.split('/')) group = (group.keys().includes(part) ? group.get(part) : group.create_group(part)) as H5Group;
  return group;
}

/** Output and input shapes of every layer (nested models included), for Keras 3's call records. */
function layerShapes(model: tf.LayersModel): LayerShapes {
  const byName = new Map<string, tf.layers.Layer>();
  const visit = (container: tf.LayersModel) => {
    for (const layer of container.layers) {
      byName.set(layer.name, layer);
      if (layer instanceof tf.LayersModel) visit(layer);
    }
  };
  visit(model);
  const shapesOf = (shape: tf.Shape | tf.Shape[]): Array<Array<number | null>> => (Array.isArray(shape[0]) || shape.length === 0 ? (shape as tf.Shape[]) : [shape as tf.Shape]);
  return {
    outputShapes: (name) => shapesOf(byName.get(name)!.outputShape),
    inputShape: (name) => {
      const node = byName.get(name)!.inboundNodes[0];
      if (!node) return null;
      const shapes = node.inputShapes as Json[];
      return Array.isArray(shapes[0]) && shapes.length === 1 ? shapes[0] : shapes;
    },
  };
}

/** Writes each layer's variables at Keras 3's path for it (see weight-paths.ts). */
function writeKeras3Variables(group: H5Group, layers: tf.layers.Layer[], prefix: string): void {
  for (const { layer, path } of keras3LayerPaths(layers, (layer) => kerasClassName(layer.getClassName()), prefix)) {
    const vars = ensureGroup(group, `${path}/vars`);
    if (layer instanceof tf.LayersModel) writeKeras3Variables(group, layer.layers, `${path}/layers`);
    else weightValues(layer).forEach((weight, i) => writeFloat32(vars, String(i), weight.values, weight.shape));
  }
}

/**
 * A Keras 3 `.keras` archive, as Keras 3's `model.save("m.keras")` writes one: a zip (stored,
 * not deflated) of `metadata.json`, `config.json` (Keras 3 serialization) and
 * `model.weights.h5` (root group `vars`, then `layers/<class>[_n]/vars/<i>`).
 */
export async function writeKerasArchive(model: tf.LayersModel, path: string): Promise<void> {
  const config = keras3Model(model.toJSON(null, false) as JsonObject, layerShapes(model));
  const weights = await h5Bytes((root) => {
    root.create_group('vars');
    writeKeras3Variables(root, model.layers, 'layers');
  });
  const now = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  const dateSaved = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}@${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}`;
  const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
  const archive = zipSync(
    {
      'metadata.json': encode({ keras_version: KERAS3_VERSION, date_saved: dateSaved }),
      'config.json': encode(config),
      'model.weights.h5': weights,
    },
    { level: 0 },
  );
  writeFileAtomic(path, archive);
}

import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { MorphnetError, modelError } from '../errors.js';
import { concatenate } from './file-io.js';

type H5Module = typeof import('h5wasm');
type H5Group = InstanceType<H5Module['Group']>;
type H5Dataset = InstanceType<H5Module['Dataset']>;

async function openH5(path: string) {
  const h5wasm = (await import('h5wasm/node')) as unknown as H5Module & { ready: Promise<unknown> };
  await h5wasm.ready;
  return { h5wasm, file: new h5wasm.File(path, 'r') };
}

/** An HDF5 string-list attribute as strings (empty lists come back as empty values). */
const text = (value: unknown): string[] =>
  (Array.isArray(value) ? value.map(String) : value == null || (typeof value === 'object' && 'length' in value && (value as { length: number }).length === 0) ? [] : [String(value)]).filter((name) => name !== '');

/** Layer classes a Keras file may hold that no JavaScript runtime can rebuild. */
function checkLayerClasses(config: unknown, path: string): void {
  const classes = new Set<string>();
  const visit = (node: unknown) => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node && typeof node === 'object') {
      const record = node as Record<string, unknown>;
      if (typeof record.class_name === 'string' && record.config && typeof record.config === 'object' && 'name' in (record.config as object)) classes.add(record.class_name);
      Object.values(record).forEach(visit);
    }
  };
  visit(config);
  if (classes.has('Lambda')) {
    throw new MorphnetError('unsupported', `${path} has a Lambda layer: it holds Python code, which cannot run in JavaScript`, 'replace the Lambda with built-in layers in Keras, save again, and retry');
  }
  const custom = [...classes].filter((name) => !isKnownClass(name));
  if (custom.length > 0) {
    throw new MorphnetError('unsupported', `${path} uses layer classes tfjs does not have: ${custom.join(', ')} (custom layers or layers tfjs has not ported)`, 'rebuild those parts with built-in Keras layers, or register them in tfjs before loading');
  }
}

function isKnownClass(name: string): boolean {
  if (['Sequential', 'Model', 'Functional'].includes(name)) return true;
  try {
    return tf.serialization.SerializationMap.getMap().classNameMap[name] !== undefined;
  } catch {
    return true;
  }
}

/**
 * Reads a Keras 2 HDF5 model (`model.save('m.h5')`): the `model_config` attribute holds the
 * architecture, `model_weights/<layer>/` the weights in the order of each layer's
 * `weight_names` attribute, layers in the order of `layer_names`.
 */
export async function loadKerasH5(path: string): Promise<tf.LayersModel> {
  if (!existsSync(path)) throw modelError(`model file ${path} does not exist`, 'pass the path of a Keras .h5 file, a tfjs model.json, or a zoo:NAME');
  const { file } = await openH5(path);
  try {
    const configAttribute = file.attrs.model_config;
    if (!configAttribute) {
      throw new MorphnetError('unsupported', `${path} has no model_config attribute: it holds weights only (save_weights) or was not written by Keras`, 'save the whole model with model.save("model.h5") in Keras');
    }
    const kerasVersion = String(file.attrs.keras_version?.value ?? 'unknown');
    if (!/^2\./.test(kerasVersion) && kerasVersion !== 'unknown') {
      throw new MorphnetError('unsupported', `${path} was written by Keras ${kerasVersion}; .h5 files are read as Keras 2 writes them`, 'save from Keras 3 as .keras, or from Keras 2.x as .h5');
    }
    const modelConfig = JSON.parse(String(configAttribute.value));
    checkLayerClasses(modelConfig, path);
    const weightsRoot = (file.get('model_weights') ?? file) as H5Group;
    const weightSpecs: tf.io.WeightsManifestEntry[] = [];
    const buffers: Uint8Array[] = [];
    for (const layerName of text(weightsRoot.attrs.layer_names?.value ?? [])) {
      const layerGroup = weightsRoot.get(layerName) as H5Group;
      for (const weightName of text(layerGroup.attrs.weight_names?.value ?? [])) {
        const dataset = layerGroup.get(weightName) as H5Dataset | null;
        if (!dataset) throw modelError(`${path}: layer ${layerName} lists weight ${weightName}, which the file does not hold`, 'the file is damaged or incomplete; save it again');
        const values = Float32Array.from(dataset.value as ArrayLike<number>);
        weightSpecs.push({ name: weightName.replace(/:\d+$/, ''), shape: dataset.shape as number[], dtype: 'float32' });
        buffers.push(new Uint8Array(values.buffer));
      }
    }
    const weightData = concatenate(buffers);
    const modelTopology = { keras_version: kerasVersion, backend: String(file.attrs.backend?.value ?? 'tensorflow'), model_config: modelConfig };
    try {
      return await tf.loadLayersModel(tf.io.fromMemory({ modelTopology, weightSpecs, weightData: weightData.buffer }));
    } catch (error) {
      throw modelError(`cannot build the Keras model in ${path}: ${(error as Error).message}`, 'the model must use built-in Keras layers that tfjs supports');
    }
  } finally {
    file.close();
  }
}

import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { MorphnetError, modelError } from '../../errors.js';
import { concatenate } from '../file-io.js';
import { checkKerasLayers } from './classes.js';
import { openH5, stringList, type H5Dataset, type H5Group } from './h5.js';

/**
 * Reads a Keras 2 HDF5 model (`model.save('m.h5')`): the `model_config` attribute holds the
 * architecture, `model_weights/<layer>/` the weights in the order of each layer's
 * `weight_names` attribute, layers in the order of `layer_names`.
 */
export async function loadKerasH5(path: string): Promise<tf.LayersModel> {
  if (!existsSync(path)) throw modelError(`model file ${path} does not exist`, 'pass the path of a Keras .h5 or .keras file, a tfjs model.json, or a zoo:NAME');
  const file = await openH5(path, 'r');
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
    checkKerasLayers(modelConfig, path);
    const weightsRoot = (file.get('model_weights') ?? file) as H5Group;
    const weightSpecs: tf.io.WeightsManifestEntry[] = [];
    const buffers: Uint8Array[] = [];
    for (const layerName of stringList(weightsRoot.attrs.layer_names?.value)) {
      const layerGroup = weightsRoot.get(layerName) as H5Group;
      for (const weightName of stringList(layerGroup.attrs.weight_names?.value)) {
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

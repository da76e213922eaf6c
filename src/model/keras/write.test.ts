import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { unzipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../backend/select.js';
import { loadModel } from '../load.js';
import { openH5, type H5Dataset, type H5Group } from './h5.js';
import { writeKerasArchive, writeKerasH5 } from './write.js';

const SHARED_MODELS = join(import.meta.dirname, '../../../../shared/models');

beforeAll(async () => {
  await initBackend('wasm');
});

/** input 8x8x3 -> conv_a (4, 3x3, no bias) -> bn -> relu -> conv_b (6, 1x1) -> gap -> logits (2). */
function smallModel(): tf.LayersModel {
  const input = tf.input({ shape: [8, 8, 3], name: 'input' });
  let x = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', useBias: false, name: 'conv_a', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: 'bn', gammaInitializer: tf.initializers.randomUniform({ minval: 0.5, maxval: 1.5, seed: 2 }), movingVarianceInitializer: tf.initializers.randomUniform({ minval: 0.5, maxval: 2, seed: 3 }) }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU({ name: 'relu' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ filters: 6, kernelSize: 1, name: 'conv_b', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }), biasInitializer: tf.initializers.randomUniform({ minval: -1, maxval: 1, seed: 5 }) }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(x) as tf.SymbolicTensor;
  const output = tf.layers.dense({ units: 2, name: 'logits', kernelInitializer: tf.initializers.glorotUniform({ seed: 6 }) }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output, name: 'small' });
}

/** One line per group, dataset and attribute: `path`, `path [shape] <dtype>`, `path @name = value`. */
async function listing(bytesOrPath: Uint8Array | string): Promise<string[]> {
  let path = bytesOrPath as string;
  if (typeof bytesOrPath !== 'string') {
    path = join(mkdtempSync(join(tmpdir(), 'morphnet-listing-')), 'file.h5');
    (await import('node:fs')).writeFileSync(path, bytesOrPath);
  }
  const file = await openH5(path, 'r');
  const lines: string[] = [];
  const attributes = (entity: H5Group | H5Dataset, at: string) => {
    for (const [name, attribute] of Object.entries(entity.attrs)) {
      const meta = attribute.metadata as { type: number; cset?: number; vlen: boolean };
      const kind = meta.type === 3 ? `${meta.vlen ? 'vlen ' : ''}${meta.cset === 1 ? 'utf-8' : 'ascii'}` : `type ${meta.type}`;
      const value = name === 'model_config' ? '<json>' : JSON.stringify(attribute.json_value);
      lines.push(`${at} @${name} (${kind}) = ${value}`);
    }
  };
  const walk = (group: H5Group, at: string) => {
    attributes(group, at || '/');
    for (const key of group.keys().sort()) {
      const child = group.get(key) as H5Group | H5Dataset;
      const childPath = `${at}/${key}`;
      if (child.type === 'Dataset') lines.push(`${childPath} [${(child as H5Dataset).shape}] ${(child as H5Dataset).dtype}`);
      else {
        lines.push(`${childPath}/`);
        walk(child as H5Group, childPath);
      }
    }
  };
  try {
    walk(file, '');
  } finally {
    file.close();
  }
  return lines;
}

async function expectSamePredictions(a: tf.LayersModel, b: tf.LayersModel, inputShape: number[]): Promise<void> {
  const x = tf.randomUniform([3, ...inputShape], 0, 1, 'float32', 7);
  const expected = (a.predict(x) as tf.Tensor).dataSync();
  const actual = (b.predict(x) as tf.Tensor).dataSync();
  expect(Array.from(actual)).toEqual(Array.from(expected));
}

describe('writing Keras 2 .h5', () => {
  it('lays the file out as Keras 2.15 does', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'morphnet-h5-')), 'small.h5');
    await writeKerasH5(smallModel(), path);
    // Keras 2.15's model.save("m.h5") without a compiled optimizer, for this model (the layout of
    // ../shared/models/keras-mlp-mnist/model.h5, which Keras 2.15 wrote): every layer has a group
    // with weight_names (an empty float64 array when it has none), each weight a dataset at its
    // variable name, trainable weights first.
    expect(await listing(path)).toEqual([
      '/ @backend (vlen utf-8) = "tensorflow"',
      '/ @keras_version (vlen utf-8) = "2.15.0"',
      '/ @model_config (vlen ascii) = <json>',
      '/model_weights/',
      '/model_weights @backend (vlen ascii) = "tensorflow"',
      '/model_weights @keras_version (vlen ascii) = "2.15.0"',
      '/model_weights @layer_names (vlen ascii) = ["input","conv_a","bn","relu","conv_b","gap","logits"]',
      '/model_weights/bn/',
      '/model_weights/bn @weight_names (vlen ascii) = ["bn/gamma:0","bn/beta:0","bn/moving_mean:0","bn/moving_variance:0"]',
      '/model_weights/bn/bn/',
      '/model_weights/bn/bn/beta:0 [4] <f',
      '/model_weights/bn/bn/gamma:0 [4] <f',
      '/model_weights/bn/bn/moving_mean:0 [4] <f',
      '/model_weights/bn/bn/moving_variance:0 [4] <f',
      '/model_weights/conv_a/',
      '/model_weights/conv_a @weight_names (vlen ascii) = ["conv_a/kernel:0"]',
      '/model_weights/conv_a/conv_a/',
      '/model_weights/conv_a/conv_a/kernel:0 [3,3,3,4] <f',
      '/model_weights/conv_b/',
      '/model_weights/conv_b @weight_names (vlen ascii) = ["conv_b/kernel:0","conv_b/bias:0"]',
      '/model_weights/conv_b/conv_b/',
      '/model_weights/conv_b/conv_b/bias:0 [6] <f',
      '/model_weights/conv_b/conv_b/kernel:0 [1,1,4,6] <f',
      '/model_weights/gap/',
      '/model_weights/gap @weight_names (type 1) = []',
      '/model_weights/input/',
      '/model_weights/input @weight_names (type 1) = []',
      '/model_weights/logits/',
      '/model_weights/logits @weight_names (vlen ascii) = ["logits/kernel:0","logits/bias:0"]',
      '/model_weights/logits/logits/',
      '/model_weights/logits/logits/bias:0 [2] <f',
      '/model_weights/logits/logits/kernel:0 [6,2] <f',
      '/model_weights/relu/',
      '/model_weights/relu @weight_names (type 1) = []',
      '/model_weights/top_level_model_weights/',
      '/model_weights/top_level_model_weights @weight_names (type 1) = []',
    ]);
  });

  it('its model_config is the Keras 2 form: Functional, initializers with their module as Keras 2.15 writes them', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'morphnet-h5-')), 'small.h5');
    await writeKerasH5(smallModel(), path);
    const file = await openH5(path, 'r');
    const config = JSON.parse(String(file.attrs.model_config.value));
    file.close();
    expect(config.class_name).toBe('Functional');
    const convA = config.config.layers[1];
    expect(convA.inbound_nodes).toEqual([[['input', 0, 0, {}]]]);
    // tfjs serializes glorotUniform as the VarianceScaling it is; Keras reads both.
    expect(convA.config.kernel_initializer).toEqual({ module: 'keras.initializers', class_name: 'VarianceScaling', config: { scale: 1, mode: 'fan_avg', distribution: 'uniform', seed: 1 }, registered_name: null });
  });

  it('reads back with the same predictions, for the small model and the nested Teachable Machine model', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'morphnet-h5-'));
    const small = smallModel();
    await writeKerasH5(small, join(dir, 'small.h5'));
    await expectSamePredictions(small, await loadModel({ path: join(dir, 'small.h5') }), [8, 8, 3]);
    const tm = await loadModel({ path: join(SHARED_MODELS, 'teachable-machine-mobilenetv2/model.json') });
    await writeKerasH5(tm, join(dir, 'tm.h5'));
    await expectSamePredictions(tm, await loadModel({ path: join(dir, 'tm.h5') }), [224, 224, 3]);
  });
});

describe('writing Keras 3 .keras', () => {
  it('is a stored zip of metadata.json, config.json and model.weights.h5, as Keras 3 writes it', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'morphnet-keras-')), 'small.keras');
    await writeKerasArchive(smallModel(), path);
    const bytes = readFileSync(path);
    const entries = unzipSync(bytes);
    expect(Object.keys(entries)).toEqual(['metadata.json', 'config.json', 'model.weights.h5']);
    // Stored, not deflated: compression method 0 in the first local file header (offset 8).
    expect(bytes.readUInt16LE(8)).toBe(0);
    const metadata = JSON.parse(new TextDecoder().decode(entries['metadata.json']));
    expect(metadata.keras_version).toBe('3.6.0');
    expect(metadata.date_saved).toMatch(/^\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d$/);
    // Keras 3 names a layer's variables by class and position, not by layer name: the first
    // Conv2D is layers/conv2d, the second layers/conv2d_1; ReLU is re_lu (its snake_case).
    // Every layer and the model itself get a vars group, empty when they hold no variables.
    expect(await listing(entries['model.weights.h5'])).toEqual([
      '/layers/',
      '/layers/batch_normalization/',
      '/layers/batch_normalization/vars/',
      '/layers/batch_normalization/vars/0 [4] <f',
      '/layers/batch_normalization/vars/1 [4] <f',
      '/layers/batch_normalization/vars/2 [4] <f',
      '/layers/batch_normalization/vars/3 [4] <f',
      '/layers/conv2d/',
      '/layers/conv2d/vars/',
      '/layers/conv2d/vars/0 [3,3,3,4] <f',
      '/layers/conv2d_1/',
      '/layers/conv2d_1/vars/',
      '/layers/conv2d_1/vars/0 [1,1,4,6] <f',
      '/layers/conv2d_1/vars/1 [6] <f',
      '/layers/dense/',
      '/layers/dense/vars/',
      '/layers/dense/vars/0 [6,2] <f',
      '/layers/dense/vars/1 [2] <f',
      '/layers/global_average_pooling2d/',
      '/layers/global_average_pooling2d/vars/',
      '/layers/input_layer/',
      '/layers/input_layer/vars/',
      '/layers/re_lu/',
      '/layers/re_lu/vars/',
      '/vars/',
    ]);
  });

  it('config.json is Keras 3 serialization: modules, DTypePolicy, batch_shape, recorded calls', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'morphnet-keras-')), 'small.keras');
    await writeKerasArchive(smallModel(), path);
    const config = JSON.parse(new TextDecoder().decode(unzipSync(readFileSync(path))['config.json']));
    expect(config).toMatchObject({ module: 'keras.src.models.functional', class_name: 'Functional', registered_name: 'Functional' });
    expect(config.config.input_layers).toEqual(['input', 0, 0]);
    expect(config.config.output_layers).toEqual(['logits', 0, 0]);
    const [input, convA] = config.config.layers;
    expect(input).toEqual({ module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, 8, 8, 3], dtype: 'float32', sparse: false, name: 'input' }, registered_name: null, name: 'input', inbound_nodes: [] });
    expect(convA).toMatchObject({ module: 'keras.layers', class_name: 'Conv2D', registered_name: null, name: 'conv_a', build_config: { input_shape: [null, 8, 8, 3] } });
    expect(convA.config.dtype).toEqual({ module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null });
    expect(convA.inbound_nodes).toEqual([{ args: [{ class_name: '__keras_tensor__', config: { shape: [null, 8, 8, 3], dtype: 'float32', keras_history: ['input', 0, 0] } }], kwargs: {} }]);
  });

  it('reads back with the same predictions, for the small model, a residual net and the nested Teachable Machine model', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'morphnet-keras-'));
    const small = smallModel();
    await writeKerasArchive(small, join(dir, 'small.keras'));
    await expectSamePredictions(small, await loadModel({ path: join(dir, 'small.keras') }), [8, 8, 3]);
    const resnet = await loadModel({ zoo: 'zoo:resnet20' });
    await writeKerasArchive(resnet, join(dir, 'resnet.keras'));
    await expectSamePredictions(resnet, await loadModel({ path: join(dir, 'resnet.keras') }), [32, 32, 3]);
    const tm = await loadModel({ path: join(SHARED_MODELS, 'teachable-machine-mobilenetv2/model.json') });
    await writeKerasArchive(tm, join(dir, 'tm.keras'));
    await expectSamePredictions(tm, await loadModel({ path: join(dir, 'tm.keras') }), [224, 224, 3]);
  });
});

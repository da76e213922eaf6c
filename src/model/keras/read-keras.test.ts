import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { zipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../backend/select.js';
import { loadModel } from '../load.js';
import { openH5, writeFloat32, type H5Group } from './h5.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const policy = (name: string) => ({ module: 'keras', class_name: 'DTypePolicy', config: { name }, registered_name: null });
const tensor = (layer: string) => ({ class_name: '__keras_tensor__', config: { shape: [null, 2], dtype: 'float32', keras_history: [layer, 0, 0] } });
const dense = (name: string, extra: Record<string, unknown> = {}) => ({
  module: 'keras.layers',
  class_name: 'Dense',
  config: { name, trainable: true, dtype: policy('float32'), units: 2, activation: 'linear', use_bias: true, kernel_initializer: { module: 'keras.initializers', class_name: 'GlorotUniform', config: { seed: null }, registered_name: null }, bias_initializer: { module: 'keras.initializers', class_name: 'Zeros', config: {}, registered_name: null }, kernel_regularizer: null, bias_regularizer: null, kernel_constraint: null, bias_constraint: null, lora_rank: null, ...extra },
  registered_name: null,
  build_config: { input_shape: [null, 2] },
  name,
  inbound_nodes: [{ args: [tensor('input_layer')], kwargs: {} }],
});

/**
 * A Keras 3.6 `.keras` archive written by hand in Keras 3's serialization: input (2) feeds two
 * Dense layers, `left` and `right`, whose outputs an Add sums. The config has what Keras 3
 * writes and tfjs does not read: DTypePolicy objects (one mixed_float16), batch_shape, a
 * single-tensor input_layers, an L2 regularizer, Add's call recorded as `args: [[t1, t2]]`.
 */
function kerasConfig(): Record<string, any> {
  return {
    module: 'keras.src.models.functional',
    class_name: 'Functional',
    config: {
      name: 'two_branches',
      trainable: true,
      layers: [
        { module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, 2], dtype: 'float32', sparse: false, optional: false, name: 'input_layer' }, registered_name: null, name: 'input_layer', inbound_nodes: [] },
        dense('left', { kernel_regularizer: { module: 'keras.regularizers', class_name: 'L2', config: { l2: 0.01 }, registered_name: null } }),
        dense('right', { dtype: policy('mixed_float16') }),
        { module: 'keras.layers', class_name: 'Add', config: { name: 'sum', trainable: true, dtype: policy('float32') }, registered_name: null, build_config: { input_shape: [[null, 2], [null, 2]] }, name: 'sum', inbound_nodes: [{ args: [[tensor('left'), tensor('right')]], kwargs: {} }] },
      ],
      input_layers: ['input_layer', 0, 0],
      output_layers: ['sum', 0, 0],
    },
    registered_name: 'Functional',
    build_config: { input_shape: null },
    compile_config: null,
  };
}

/**
 * Variables by Keras 3's paths: the first Dense in layer order (`left`) is layers/dense, the
 * second (`right`) layers/dense_1. left: kernel [[1, 2], [3, 4]], bias [0.5, -0.5];
 * right: kernel 2 * identity, bias 0.
 */
async function weightsFile(rootGroup = 'layers'): Promise<Uint8Array> {
  const path = join(mkdtempSync(join(tmpdir(), 'morphnet-k3-')), 'model.weights.h5');
  const file = await openH5(path, 'w');
  const vars = (groupPath: string) => groupPath.split('/').reduce((group: H5Group, part) => group.create_group(part), file as H5Group);
  vars('vars');
  const left = vars(`${rootGroup}/dense/vars`);
  writeFloat32(left, '0', new Float32Array([1, 2, 3, 4]), [2, 2]);
  writeFloat32(left, '1', new Float32Array([0.5, -0.5]), [2]);
  const right = (file.get(rootGroup) as H5Group).create_group('dense_1').create_group('vars');
  writeFloat32(right, '0', new Float32Array([2, 0, 0, 2]), [2, 2]);
  writeFloat32(right, '1', new Float32Array([0, 0]), [2]);
  file.close();
  return readFileSync(path);
}

async function archive(options: { config?: unknown; version?: string; weights?: Uint8Array; extraWeights?: boolean } = {}): Promise<string> {
  const path = join(mkdtempSync(join(tmpdir(), 'morphnet-k3-')), 'model.keras');
  const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
  writeFileSync(
    path,
    zipSync({
      'metadata.json': encode({ keras_version: options.version ?? '3.6.0', date_saved: '2026-11-25@12:00:00' }),
      'config.json': encode(options.config ?? kerasConfig()),
      'model.weights.h5': options.weights ?? (await weightsFile()),
    }),
  );
  return path;
}

describe('reading Keras 3 .keras archives', () => {
  it('builds the model and takes each layer its variables by class and position', async () => {
    const model = await loadModel({ path: await archive() });
    // x = [1, 1]: left = [1*1 + 1*3 + 0.5, 1*2 + 1*4 - 0.5] = [4.5, 5.5]; right = [2, 2];
    // sum = [6.5, 7.5]. The sum cannot tell left from right; left's kernel shows the order.
    const y = (model.predict(tf.tensor2d([[1, 1]])) as tf.Tensor).dataSync();
    expect(Array.from(y)).toEqual([6.5, 7.5]);
    expect(model.getLayer('left').getWeights()[0].dataSync()).toEqual(new Float32Array([1, 2, 3, 4]));
  });

  it('reads Keras 2.13-2.15 archives, which keep layers under _layer_checkpoint_dependencies', async () => {
    const model = await loadModel({ path: await archive({ version: '2.15.0', weights: await weightsFile('_layer_checkpoint_dependencies') }) });
    expect(Array.from((model.predict(tf.tensor2d([[1, 1]])) as tf.Tensor).dataSync())).toEqual([6.5, 7.5]);
  });

  it('refuses Keras versions that wrote .keras differently', async () => {
    await expect(loadModel({ path: await archive({ version: '2.12.0' }) })).rejects.toThrow(/written by Keras 2\.12\.0; \.keras files are read as Keras 2\.13\+ and 3\.x write them/);
  });

  it('refuses a grouped convolution: it would compute something else in tfjs', async () => {
    const config = kerasConfig();
    config.config.layers[1] = { ...config.config.layers[1], class_name: 'Conv1D', config: { ...config.config.layers[1].config, filters: 2, kernel_size: [1], groups: 2 } };
    await expect(loadModel({ path: await archive({ config }) })).rejects.toThrow(/layer left sets groups=2: grouped convolutions, which tfjs does not have/);
  });

  it('refuses variables no layer takes, and a file that is not a zip', async () => {
    const config = kerasConfig();
    config.config.layers.splice(2, 1);
    config.config.layers[2].inbound_nodes = [{ args: [[tensor('left'), tensor('left')]], kwargs: {} }];
    await expect(loadModel({ path: await archive({ config }) })).rejects.toThrow(/variables no layer of config.json takes: layers\/dense_1\/vars/);
    const notZip = join(mkdtempSync(join(tmpdir(), 'morphnet-k3-')), 'model.keras');
    writeFileSync(notZip, 'not a zip');
    await expect(loadModel({ path: notZip })).rejects.toThrow(/is not a zip archive, which a Keras \.keras file is/);
  });
});

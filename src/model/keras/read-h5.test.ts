import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../backend/select.js';
import { loadMnist } from '../../data/sources/mnist.js';
import { loadModel } from '../load.js';

const SHARED_MODELS = join(import.meta.dirname, '../../../../shared/models');

beforeAll(async () => {
  await initBackend('wasm');
});

describe('Keras 2 HDF5 models', () => {
  it('the Keras 2.15 MLP predicts 100 digits as its tfjs conversion does, to 1e-5', async () => {
    const fromH5 = await loadModel({ path: join(SHARED_MODELS, 'keras-mlp-mnist/model.h5') });
    const fromTfjs = await loadModel({ path: join(SHARED_MODELS, 'keras-mlp-mnist/model.json') });
    const digits = loadMnist().test!;
    const x = tf.tensor(digits.x.subarray(0, 100 * 784), [100, 28, 28]);
    const a = (fromH5.predict(x) as tf.Tensor).dataSync();
    const b = (fromTfjs.predict(x) as tf.Tensor).dataSync();
    expect(a.length).toBe(100 * 10);
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    expect(worst).toBeLessThan(1e-5);
  });

  it('a missing file is a model error', async () => {
    await expect(loadModel({ path: '/nonexistent/model.h5' })).rejects.toThrow(/does not exist/);
  });
});

describe('Keras files morphnet cannot read say why', () => {
  /** A copy of the shared .h5 whose model_config gets `edit` applied. */
  async function editedCopy(edit: (config: { config: { layers: Array<Record<string, unknown>> } }) => void): Promise<string> {
    const { copyFileSync, mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = join(mkdtempSync(join(tmpdir(), 'morphnet-h5-')), 'model.h5');
    copyFileSync(join(SHARED_MODELS, 'keras-mlp-mnist/model.h5'), path);
    const h5wasm = (await import('h5wasm/node')) as unknown as { ready: Promise<unknown>; File: new (p: string, m: string) => any };
    await h5wasm.ready;
    const file = new h5wasm.File(path, 'a');
    const config = JSON.parse(String(file.attrs.model_config.value));
    edit(config);
    file.delete_attribute('model_config');
    file.create_attribute('model_config', JSON.stringify(config));
    file.close();
    return path;
  }

  it('a Lambda layer: Python code cannot run in JavaScript', async () => {
    const path = await editedCopy((c) => c.config.layers.splice(2, 0, { class_name: 'Lambda', config: { name: 'scale', function: 'lambda x: x * 2' } }));
    await expect(loadModel({ path })).rejects.toThrow(/Lambda layer \(scale\): it holds Python code/);
  });

  it('a custom layer is named', async () => {
    const path = await editedCopy((c) => c.config.layers.splice(2, 0, { class_name: 'MyAttention', config: { name: 'attention' } }));
    await expect(loadModel({ path })).rejects.toThrow(/layer classes tfjs does not have: MyAttention/);
  });
});

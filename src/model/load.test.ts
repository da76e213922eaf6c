import { mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend/select.js';
import { MorphnetError } from '../errors.js';
import { registerFileRouters } from './file-io.js';
import { loadModel, saveModel } from './load.js';

const SHARED_MODELS = join(import.meta.dirname, '../../../shared/models');

beforeAll(async () => {
  await initBackend('wasm');
  registerFileRouters();
});

function zeroPrediction(model: tf.LayersModel): Float32Array {
  return tf.tidy(() => {
    const shape = (model.inputs[0].shape as number[]).map((d) => d ?? 1);
    return (model.predict(tf.zeros(shape)) as tf.Tensor).dataSync() as Float32Array;
  });
}

describe('loading the models users exported', () => {
  for (const folder of ['keras-mlp-mnist', 'teachable-machine-mobilenetv2']) {
    it(`${folder}: loads, and predicts the same on zeros after a save/load round trip`, async () => {
      const model = await loadModel({ path: join(SHARED_MODELS, folder, 'model.json') });
      const before = zeroPrediction(model);
      const dir = mkdtempSync(join(tmpdir(), 'morphnet-model-'));
      await saveModel(model, dir);
      const reloaded = await tf.loadLayersModel('file://' + join(dir, 'model.json'));
      expect(Array.from(zeroPrediction(reloaded))).toEqual(Array.from(before));
      rmSync(dir, { recursive: true });
    });
  }

  it('names the missing weight shard', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'morphnet-model-'));
    writeFileSync(join(dir, 'model.json'), readFileSync(join(SHARED_MODELS, 'keras-mlp-mnist/model.json')));
    await expect(loadModel({ path: join(dir, 'model.json') })).rejects.toThrow(/lists weight file "group1-shard1of1.bin", which is missing/);
    rmSync(dir, { recursive: true });
  });

  it('reports a missing file as a model error (exit 2)', async () => {
    const error = await loadModel({ path: '/nonexistent/model.json' }).catch((e) => e);
    expect(error).toBeInstanceOf(MorphnetError);
    expect(error.exitCode).toBe(2);
  });

  it('loads a directory holding model.json', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'morphnet-model-'));
    cpSync(join(SHARED_MODELS, 'keras-mlp-mnist'), dir, { recursive: true });
    const model = await loadModel({ path: dir });
    expect(model.outputs[0].shape).toEqual([null, 10]);
    rmSync(dir, { recursive: true });
  });
});

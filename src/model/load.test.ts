import { mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend/select.js';
import { MorphnetError } from '../errors.js';
import { registerFileRouters } from './file-io.js';
import { fitModelToClasses, loadModel, modelSourceFromSpec, saveModel } from './load.js';

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

/** The layer at `names` through nested models, outermost first. */
const nestedLayer = (model: tf.LayersModel, ...names: string[]) => names.reduce<tf.layers.Layer>((layer, name) => (layer as tf.LayersModel).getLayer(name), model);
const weightValues = (layer: tf.layers.Layer) => layer.getWeights().map((w) => Array.from(w.dataSync()));

describe('model.classes: training a model for the data\'s classes', () => {
  const teachableMachine = join(SHARED_MODELS, 'teachable-machine-mobilenetv2/model.json');

  it('gives the Teachable Machine model a fresh 3-class head in its nested Sequential, keeping dense_Dense17 and the base', async () => {
    const original = await loadModel({ path: teachableMachine });
    const model = await loadModel({ path: teachableMachine, classes: 3 });
    expect(model.outputs[0].shape).toEqual([null, 3]);
    // The head: sequential_35 = dense_Dense17 (100, relu) -> dense_Dense18 (softmax, no bias), now [100, 3].
    const head = nestedLayer(model, 'sequential_35', 'dense_Dense18');
    expect(head.getWeights().map((w) => w.shape)).toEqual([[100, 3]]);
    expect((head.getConfig() as { activation: string }).activation).toBe('softmax');
    expect(weightValues(nestedLayer(model, 'sequential_35', 'dense_Dense17'))).toEqual(weightValues(nestedLayer(original, 'sequential_35', 'dense_Dense17')));
    // The base (sequential_33, MobileNetV2) computes exactly what it did.
    const features = (m: tf.LayersModel) => tf.tidy(() => Array.from(((m.getLayer('sequential_33') as tf.LayersModel).predict(tf.ones([1, 224, 224, 3])) as tf.Tensor).dataSync()));
    expect(features(model)).toEqual(features(original));
    // 30 outputs -> 3: the head kernel loses 100 * (30 - 3) weights, nothing else changes.
    expect(model.countParams()).toBe(original.countParams() - 100 * (30 - 3));
  });

  it('classes: auto fits a model file or a zoo model to the data\'s class count', async () => {
    const file = await loadModel({ path: join(SHARED_MODELS, 'keras-mlp-mnist/model.json'), classes: 'auto' });
    expect(file.outputs[0].shape).toEqual([null, 10]);
    const fitted = await fitModelToClasses(file, { path: 'unused', classes: 'auto' }, 4);
    expect(fitted.outputs[0].shape).toEqual([null, 4]);
    const zoo = await fitModelToClasses(await loadModel({ zoo: 'cnn', classes: 'auto' }), { zoo: 'cnn', classes: 'auto' }, 3);
    expect(zoo.outputs[0].shape).toEqual([null, 3]);
  });

  it('builds a zoo model for model.classes, as options.classes does, and refuses the two disagreeing', async () => {
    expect((await loadModel({ zoo: 'cnn', classes: 3 })).outputs[0].shape).toEqual([null, 3]);
    expect((await loadModel({ zoo: 'cnn', options: { classes: 3 } })).outputs[0].shape).toEqual([null, 3]);
    const error = await loadModel({ zoo: 'zoo:cnn?classes=10', classes: 3 }).catch((e) => e);
    expect(error).toBeInstanceOf(MorphnetError);
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe('zoo:cnn: model.classes is 3 but the zoo option classes is "10"');
  });

  it('reads ?classes=N after a model path on the command line', () => {
    expect(modelSourceFromSpec('models/tm/model.json?classes=3')).toEqual({ path: 'models/tm/model.json', classes: 3 });
    expect(modelSourceFromSpec('models/tm/model.json?classes=auto')).toEqual({ path: 'models/tm/model.json', classes: 'auto' });
    expect(modelSourceFromSpec('models/tm/model.json')).toEqual({ path: 'models/tm/model.json' });
    expect(() => modelSourceFromSpec('models/tm/model.json?width=0.5')).toThrow('model "models/tm/model.json?width=0.5": a model file takes only ?classes=N, received ?width');
    expect(() => modelSourceFromSpec('models/tm/model.json?classes=0')).toThrow('model "models/tm/model.json?classes=0": classes expected a positive integer or auto, received "0"');
  });
});

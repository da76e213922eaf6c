import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend/select.js';
import { loadModel } from '../model/load.js';
import { countModel } from './count-model.js';

const SHARED_MODELS = join(import.meta.dirname, '../../../shared/models');

beforeAll(async () => {
  await initBackend('cpu');
});

/**
 * Keras transfer learning, nested as Teachable Machine nests it:
 *
 *   outer: Sequential
 *     features: Sequential
 *       base: Functional   base_input[8,8,3] -> conv1: Conv2D 8 3x3 same -> bn1 -> relu1 -> last: Conv2D 16 1x1 -> bn2 -> relu2
 *       gap: GlobalAveragePooling2D
 *     head: Sequential     hidden: Dense 5 (input [16]) -> out: Dense 3
 *
 * Weights (kernel + bias; BN gamma, beta trainable and moving mean, variance not):
 *   conv1 3*3*3*8 + 8 = 224   bn1 2*8 + 2*8 = 32   last 1*1*8*16 + 16 = 144   bn2 2*16 + 2*16 = 64
 *   hidden 16*5 + 5 = 85      out 5*3 + 3 = 18
 */
const BASE_TRAINABLE = 224 + 2 * 8 + 144 + 2 * 16;
const BASE_TOTAL = 224 + 32 + 144 + 64;
const HEAD = 85 + 18;

function transferModel(): { outer: tf.Sequential; base: tf.LayersModel } {
  const x = tf.input({ shape: [8, 8, 3], name: 'base_input' });
  let h = tf.layers.conv2d({ name: 'conv1', filters: 8, kernelSize: 3, padding: 'same' }).apply(x) as tf.SymbolicTensor;
  h = tf.layers.batchNormalization({ name: 'bn1' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.reLU({ name: 'relu1' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.conv2d({ name: 'last', filters: 16, kernelSize: 1 }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.batchNormalization({ name: 'bn2' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.reLU({ name: 'relu2' }).apply(h) as tf.SymbolicTensor;
  const base = tf.model({ inputs: x, outputs: h, name: 'base' });
  const features = tf.sequential({ name: 'features', layers: [base, tf.layers.globalAveragePooling2d({ name: 'gap' })] });
  const head = tf.sequential({ name: 'head', layers: [tf.layers.dense({ name: 'hidden', units: 5, inputShape: [16] }), tf.layers.dense({ name: 'out', units: 3 })] });
  return { outer: tf.sequential({ name: 'outer', layers: [features, head] }), base };
}

describe('params of nested models are counted once, as Keras counts them', () => {
  it('Sequential > Sequential > Functional: every weight once, and the model input holds none', () => {
    const { outer } = transferModel();
    const report = countModel(outer);
    expect(report.totals.params).toBe(BASE_TRAINABLE + HEAD);
    expect(report.totals.totalParams).toBe(BASE_TOTAL + HEAD);
    expect(report.totals.totalParams).toBe(outer.countParams());
    // The input row is the InputLayer, not the nested model that a Sequential lists first.
    expect(report.layers[0]).toMatchObject({ name: 'base_input', className: 'InputLayer', params: 0, totalParams: 0 });
    // MACs: conv1 8*8*9*3*8, last 8*8*1*8*16, hidden 16*5, out 5*3.
    expect(report.totals.macs).toBe(8 * 8 * 9 * 3 * 8 + 8 * 8 * 8 * 16 + 16 * 5 + 5 * 3);
  });

  it('a frozen nested base (base.trainable = false) counts all its weights as non-trainable', () => {
    const { outer, base } = transferModel();
    base.trainable = false;
    const report = countModel(outer);
    expect(report.totals.params).toBe(HEAD);
    expect(report.totals.totalParams).toBe(BASE_TOTAL + HEAD);
    expect(report.layers.find((l) => l.name === 'conv1')).toMatchObject({ params: 0, totalParams: 224 });
  });

  it('layers saved frozen (trainable: false in their config, as Keras writes a frozen base) count as non-trainable', async () => {
    const { outer } = transferModel();
    const json = outer.toJSON(null, false) as unknown as { config: { layers: Array<{ config: { layers: Array<{ class_name: string; config: Record<string, unknown> }> } }> } };
    const baseJson = json.config.layers[0].config.layers[0];
    for (const layer of baseJson.config.layers as unknown as Array<{ config: Record<string, unknown> }>) layer.config.trainable = false;
    const loaded = await tf.models.modelFromJSON({ modelTopology: json as unknown as tf.io.ModelJSON['modelTopology'] });
    const report = countModel(loaded);
    expect(report.totals.params).toBe(HEAD);
    expect(report.totals.totalParams).toBe(BASE_TOTAL + HEAD);
  });

  it('the Teachable Machine MobileNetV2 (Sequential > Sequential > Functional): 58,136,808 MACs, 527,228 trainable and 541,308 params in all, as Keras counts', async () => {
    const report = countModel(await loadModel({ path: join(SHARED_MODELS, 'teachable-machine-mobilenetv2/model.json') }));
    expect(report.totals.macs).toBe(58_136_808);
    expect(report.totals.params).toBe(527_228);
    // The manifest's weights add up to the same total.
    expect(report.totals.totalParams).toBe(541_308);
  });
});

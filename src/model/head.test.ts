import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend/select.js';
import { MorphnetError } from '../errors.js';
import { findHead, replaceHead } from './head.js';

beforeAll(async () => {
  await initBackend('cpu');
});

const values = (tensor: tf.Tensor) => Array.from(tensor.dataSync());
const weightsOf = (layer: tf.layers.Layer) => layer.getWeights().map(values);
const nested = (model: tf.LayersModel, ...names: string[]) => names.reduce<tf.layers.Layer>((layer, name) => (layer as tf.LayersModel).getLayer(name), model);

/**
 * Functional:  input[4] -> hidden: Dense 3 relu -> out: Dense 5 softmax
 */
function functionalModel(): tf.LayersModel {
  const x = tf.input({ shape: [4], name: 'input' });
  const h = tf.layers.dense({ name: 'hidden', units: 3, activation: 'relu' }).apply(x) as tf.SymbolicTensor;
  const y = tf.layers.dense({ name: 'out', units: 5, activation: 'softmax' }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: x, outputs: y, name: 'functional' });
}

/**
 * Teachable Machine's layout, Sequential > Sequential:
 *   outer: Sequential
 *     base: Sequential   base_dense: Dense 6 (input [4])
 *     head: Sequential   head_hidden: Dense 3 relu (input [6]) -> head_out: Dense 5 softmax, no bias
 */
function nestedModel(): tf.LayersModel {
  const base = tf.sequential({ name: 'base', layers: [tf.layers.dense({ name: 'base_dense', units: 6, inputShape: [4] })] });
  const head = tf.sequential({
    name: 'head',
    layers: [
      tf.layers.dense({ name: 'head_hidden', units: 3, activation: 'relu', inputShape: [6] }),
      tf.layers.dense({ name: 'head_out', units: 5, activation: 'softmax', useBias: false }),
    ],
  });
  return tf.sequential({ name: 'outer', layers: [base, head] });
}

describe('findHead', () => {
  it('finds the output Dense of a Functional model', () => {
    const { scope, dense } = findHead(functionalModel());
    expect(scope).toEqual([]);
    expect(dense.name).toBe('out');
  });

  it('follows the output into nested Sequentials', () => {
    const { scope, dense } = findHead(nestedModel());
    expect(scope).toEqual(['head']);
    expect(dense.name).toBe('head_out');
  });

  it('steps back over a trailing Activation (Dense -> Activation softmax, the Keras idiom)', () => {
    // input[4] -> logits: Dense 5 -> probabilities: Activation softmax
    const x = tf.input({ shape: [4] });
    const logits = tf.layers.dense({ name: 'logits', units: 5 }).apply(x) as tf.SymbolicTensor;
    const y = tf.layers.activation({ name: 'probabilities', activation: 'softmax' }).apply(logits) as tf.SymbolicTensor;
    expect(findHead(tf.model({ inputs: x, outputs: y })).dense.name).toBe('logits');
  });

  it('refuses a model whose output is not a Dense layer, naming the layer and its class', () => {
    // input[8,8,3] -> conv: Conv2D 5 1x1 -> pool: GlobalAveragePooling2D
    const x = tf.input({ shape: [8, 8, 3] });
    const conv = tf.layers.conv2d({ name: 'conv', filters: 5, kernelSize: 1 }).apply(x) as tf.SymbolicTensor;
    const y = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(conv) as tf.SymbolicTensor;
    const error = (() => {
      try {
        findHead(tf.model({ inputs: x, outputs: y }));
      } catch (e) {
        return e as MorphnetError;
      }
    })()!;
    expect(error).toBeInstanceOf(MorphnetError);
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(
      'model.classes: the model\'s output comes from layer "pool" (GlobalAveragePooling2D), not from a Dense layer, so there is no classifier head to replace',
    );
    expect(error.hint).toMatch(/give data with 5 classes/);
  });

  it('refuses a model with two outputs', () => {
    // input[4] -> a: Dense 2, b: Dense 3
    const x = tf.input({ shape: [4] });
    const a = tf.layers.dense({ name: 'a', units: 2 }).apply(x) as tf.SymbolicTensor;
    const b = tf.layers.dense({ name: 'b', units: 3 }).apply(x) as tf.SymbolicTensor;
    expect(() => findHead(tf.model({ inputs: x, outputs: [a, b] }))).toThrow('model.classes: the model has 2 outputs; a classifier head can be replaced only in a model with one output');
  });
});

describe('replaceHead', () => {
  it('rebuilds the output Dense for N classes with the same activation, keeping every other weight', async () => {
    const model = functionalModel();
    const reheaded = await replaceHead(model, 2, 1);
    expect(reheaded.outputs[0].shape).toEqual([null, 2]);
    const out = reheaded.getLayer('out');
    // kernel [3 inputs, 2 classes] and bias [2]
    expect(out.getWeights().map((w) => w.shape)).toEqual([[3, 2], [2]]);
    expect((out.getConfig() as { activation: string }).activation).toBe('softmax');
    expect(weightsOf(reheaded.getLayer('hidden'))).toEqual(weightsOf(model.getLayer('hidden')));
    // Softmax over 2 classes: each prediction sums to 1.
    const sums = tf.tidy(() => values((reheaded.predict(tf.ones([3, 4])) as tf.Tensor).sum(1)));
    for (const sum of sums) expect(sum).toBeCloseTo(1, 5);
  });

  it('rebuilds a head inside nested Sequentials and keeps the base and the hidden head layer', async () => {
    const model = nestedModel();
    const reheaded = await replaceHead(model, 3, 1);
    expect(reheaded.outputs[0].shape).toEqual([null, 3]);
    // head_out has no bias: one kernel of [3 hidden units, 3 classes].
    expect(nested(reheaded, 'head', 'head_out').getWeights().map((w) => w.shape)).toEqual([[3, 3]]);
    expect(weightsOf(nested(reheaded, 'base', 'base_dense'))).toEqual(weightsOf(nested(model, 'base', 'base_dense')));
    expect(weightsOf(nested(reheaded, 'head', 'head_hidden'))).toEqual(weightsOf(nested(model, 'head', 'head_hidden')));
  });

  it('seeds the fresh head: the same seed gives the same weights, another seed others', async () => {
    const model = functionalModel();
    const first = weightsOf((await replaceHead(model, 2, 7)).getLayer('out'));
    const again = weightsOf((await replaceHead(model, 2, 7)).getLayer('out'));
    const other = weightsOf((await replaceHead(model, 2, 8)).getLayer('out'));
    expect(again).toEqual(first);
    expect(other[0]).not.toEqual(first[0]);
  });

  it('returns the model itself when it already has N outputs', async () => {
    const model = functionalModel();
    expect(await replaceHead(model, 5, 1)).toBe(model);
  });
});

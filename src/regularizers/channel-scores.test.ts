import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend/select.js';
import { analyzeChannels } from '../graph/channel-groups.js';
import { buildLayerGraph } from '../graph/build-graph.js';
import { groupScores, rawChannelScores } from './channel-scores.js';
import { findSources } from './sources.js';

beforeAll(async () => {
  await initBackend('cpu');
});

type Sym = tf.SymbolicTensor;

/**
 *   input[6,6,3] -> a: Conv2D 4 3x3 same -> t: Conv2DTranspose 6 3x3 stride 2 same
 *                -> b: Conv2D 5 1x1 -> GlobalAveragePooling2D -> out: Dense 2
 *
 * tfjs stores t's kernel as [kh, kw, out, in] = [3, 3, 6, 4]: its output channels are axis 2,
 * its last axis is a's 4 channels.
 */
function transposeModel(): tf.LayersModel {
  const x = tf.input({ shape: [6, 6, 3] });
  let h = tf.layers.conv2d({ name: 'a', filters: 4, kernelSize: 3, padding: 'same' }).apply(x) as Sym;
  h = tf.layers.conv2dTranspose({ name: 't', filters: 6, kernelSize: 3, strides: 2, padding: 'same' }).apply(h) as Sym;
  h = tf.layers.conv2d({ name: 'b', filters: 5, kernelSize: 1 }).apply(h) as Sym;
  h = tf.layers.globalAveragePooling2d({}).apply(h) as Sym;
  return tf.model({ inputs: x, outputs: tf.layers.dense({ name: 'out', units: 2 }).apply(h) as Sym });
}

describe('group-lasso scores follow the output-channel axis of the kernel', () => {
  it('Conv2DTranspose: one score per output channel (axis 2 of [3, 3, 6, 4]), not per input channel', () => {
    const model = transposeModel();
    // Every weight of output channel o is o + 1, so sqrt(mean(w^2)) over its 3*3*4 weights is o + 1.
    const kernel = tf.tidy(() => tf.mul(tf.ones([3, 3, 6, 4]), tf.reshape(tf.range(1, 7), [1, 1, 6, 1])));
    model.getLayer('t').setWeights([kernel, tf.zeros([6])]);
    const analysis = analyzeChannels(buildLayerGraph(model));
    const entry = findSources(analysis, 'group-lasso').regularized.find((e) => e.sources.some((s) => s.nodeId === 't'))!;
    expect(entry.group.width).toBe(6);
    const scores = tf.tidy(() => Array.from(groupScores(entry, 'group-lasso', 0).dataSync()));
    [1, 2, 3, 4, 5, 6].forEach((expected, o) => expect(scores[o]).toBeCloseTo(expected, 5));
  });

  it('a kernel scored along a middle axis: the rms over every other axis', () => {
    // [2, 3, 2] kernel, channels on axis 1: channel j holds the four values 3j+1 at [i, j, k].
    // sqrt(mean(w^2)) = 3j + 1 -> [1, 4, 7].
    const weight = tf.tidy(() => tf.mul(tf.ones([2, 3, 2]), tf.reshape(tf.tensor1d([1, 4, 7]), [1, 3, 1])));
    expect(Array.from(rawChannelScores(weight, 'group-lasso', 0, 1).dataSync()).map((v) => Math.round(v * 1e5) / 1e5)).toEqual([1, 4, 7]);
  });
});

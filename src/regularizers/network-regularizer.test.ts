import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend/select.js';
import { CostModel } from '../cost/cost-model.js';
import { analyzeChannels } from '../graph/channel-groups.js';
import { buildLayerGraph } from '../graph/build-graph.js';
import { rawChannelScores } from './channel-scores.js';
import { NetworkRegularizer } from './network-regularizer.js';
import { findSources, type SourceKind } from './sources.js';

beforeAll(async () => {
  await initBackend('wasm');
});

/**
 * input 3 -> hidden (Dense 2) [-> BN] -> out (Dense 2, the model output, fixed).
 * hidden's kernel, columns = its output channels:
 *   col 0 = [3, 4, 0]: sqrt(mean(w^2)) = sqrt((9 + 16 + 0) / 3) = 5 / sqrt(3)
 *   col 1 = [1, 2, 2]: sqrt((1 + 4 + 4) / 3) = sqrt(3) = 3 / sqrt(3)
 * mean over the layer (its seed scale) = (5 + 3) / 2 / sqrt(3) = 4 / sqrt(3), so in seed units the
 * scores are 5/4 and 3/4.
 */
const HIDDEN_KERNEL = [
  [3, 1],
  [4, 2],
  [0, 2],
];

function mlp(withBatchNorm = false): tf.LayersModel {
  const input = tf.input({ shape: [3] });
  let x = tf.layers.dense({ name: 'hidden', units: 2 }).apply(input) as tf.SymbolicTensor;
  if (withBatchNorm) x = tf.layers.batchNormalization({ name: 'bn' }).apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: tf.layers.dense({ name: 'out', units: 2 }).apply(x) as tf.SymbolicTensor });
  model.getLayer('hidden').setWeights([tf.tensor2d(HIDDEN_KERNEL), tf.zeros([2])]);
  return model;
}

function regularizerFor(model: tf.LayersModel, kind: SourceKind, threshold = 0.01): NetworkRegularizer {
  const analysis = analyzeChannels(buildLayerGraph(model));
  return new NetworkRegularizer(new CostModel(analysis), findSources(analysis, kind).regularized, { kind, target: 'flops', threshold, l1Fraction: 0, costOptions: {} });
}

const values = (tensor: tf.Tensor) => Array.from(tensor.dataSync());

describe('group-lasso scores', () => {
  it('are MorphNet\'s sqrt(mean(w_j^2)) per output channel in raw units', () => {
    const raw = rawChannelScores(tf.tensor2d(HIDDEN_KERNEL), 'group-lasso', 0);
    expect(values(raw)[0]).toBeCloseTo(5 / Math.sqrt(3), 5);
    expect(values(raw)[1]).toBeCloseTo(Math.sqrt(3), 5);
  });

  it('mix in mean(|w_j|) with l1Fraction: 0.5 * rms + 0.5 * mean abs', () => {
    // col 0: 0.5 * 5/sqrt(3) + 0.5 * (3 + 4 + 0) / 3;  col 1: 0.5 * sqrt(3) + 0.5 * (1 + 2 + 2) / 3
    const raw = values(rawChannelScores(tf.tensor2d(HIDDEN_KERNEL), 'group-lasso', 0.5));
    expect(raw[0]).toBeCloseTo(0.5 * (5 / Math.sqrt(3)) + 0.5 * (7 / 3), 5);
    expect(raw[1]).toBeCloseTo(0.5 * Math.sqrt(3) + 0.5 * (5 / 3), 5);
  });

  it('are measured in units of the layer\'s seed scale: 5/4 and 3/4, mean 1', () => {
    const regularizer = regularizerFor(mlp(), 'group-lasso');
    expect(regularizer.scales[0][0]).toBeCloseTo(4 / Math.sqrt(3), 5);
    const [scores] = regularizer.readScores();
    expect(scores[0]).toBeCloseTo(5 / 4, 5);
    expect(scores[1]).toBeCloseTo(3 / 4, 5);
  });

  it('keep the seed\'s unit while training: a kernel shrunk x10 scores 1/8 and 3/40', () => {
    const model = mlp();
    const regularizer = regularizerFor(model, 'group-lasso');
    model.getLayer('hidden').setWeights([tf.tensor2d(HIDDEN_KERNEL).div(10), tf.zeros([2])]);
    const [scores] = regularizer.readScores();
    expect(scores[0]).toBeCloseTo(5 / 4 / 10, 5);
    expect(scores[1]).toBeCloseTo(3 / 4 / 10, 5);
  });

  it('give the penalty MorphNet\'s soft count: R = sum_c weight[c] * score[c] = 10 * (5/4 + 3/4) = 20, the seed FLOPs', () => {
    // FLOPs weight of a hidden channel: hidden 2 * A_in = 2 * 3 (its outputs), plus out 2 * A_out = 2 * 2
    // (its inputs) = 10. In seed units the scores sum to the channel count, 2, so R starts at the
    // FLOPs of the prunable terms, 2 * 3 * 2 + 2 * 2 * 2 = 20 (in raw units it was 10 * 8 / sqrt(3) = 46.2).
    const regularizer = regularizerFor(mlp(), 'group-lasso');
    const penalty = regularizer.penalty();
    expect(penalty.dataSync()[0]).toBeCloseTo(20, 4);
    expect(regularizer.cost()).toBe(2 * 3 * 2 + 2 * 2 * 2);
  });

  it('apply the threshold in seed units: at 0.8 channel 1 (3/4) dies and the FLOPs drop to 2*3*1 + 2*1*2', () => {
    const regularizer = regularizerFor(mlp(), 'group-lasso', 0.8);
    regularizer.updateAlive();
    expect(regularizer.cost()).toBe(2 * 3 * 1 + 2 * 1 * 2);
  });
});

describe('gamma scores', () => {
  it('stay |gamma| as MorphNet reads them (scale 1)', () => {
    const model = mlp(true);
    model.getLayer('bn').setWeights([tf.tensor1d([0.5, -2]), tf.zeros([2]), tf.zeros([2]), tf.ones([2])]);
    const regularizer = regularizerFor(model, 'gamma');
    expect(regularizer.scales).toEqual([[1]]);
    expect(Array.from(regularizer.readScores()[0])).toEqual([0.5, 2]);
  });
});

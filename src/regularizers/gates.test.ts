import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend/select.js';
import { CostModel } from '../cost/cost-model.js';
import { analyzeChannels } from '../graph/channel-groups.js';
import { buildLayerGraph } from '../graph/build-graph.js';
import { findGatePoints, insertGates } from '../surgery/insert-gates.js';
import { ChannelGate, GATE_ALIVE_PROBABILITY, deterministicGate, logisticNoise, openProbability, relaxedGate } from './gates.js';
import { NetworkRegularizer } from './network-regularizer.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const values = (tensor: tf.Tensor) => Array.from(tensor.dataSync());

/** input 3 -> hidden (Dense 2, no bias) [-> bn] -> out (Dense 2, identity kernel: the model output, fixed). */
function mlp(withBatchNorm: boolean): tf.LayersModel {
  const input = tf.input({ shape: [3] });
  let x = tf.layers.dense({ name: 'hidden', units: 2, useBias: false }).apply(input) as tf.SymbolicTensor;
  if (withBatchNorm) x = tf.layers.batchNormalization({ name: 'bn' }).apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: tf.layers.dense({ name: 'out', units: 2, useBias: false }).apply(x) as tf.SymbolicTensor });
  // Columns are output channels: x = [1, 1, 1] gives hidden = [3 + 4 + 0, 1 + 2 + 2] = [7, 5].
  model.getLayer('hidden').setWeights([tf.tensor2d([[3, 1], [4, 2], [0, 2]])]);
  model.getLayer('out').setWeights([tf.eye(2)]);
  return model;
}

function gated(withBatchNorm: boolean, seed = 1) {
  const model = mlp(withBatchNorm);
  const analysis = analyzeChannels(buildLayerGraph(model));
  return { model, analysis, gated: insertGates(model, analysis, seed) };
}

describe('gate sampling', () => {
  it('turns uniform samples into logistic noise log(u) - log(1 - u)', () => {
    // u = 0.75: ln 0.75 - ln 0.25 = ln 3 = 1.098612; u = 0.5: 0; u = 0.2: ln 0.25 = -1.386294.
    const noise = logisticNoise([0.75, 0.5, 0.2]);
    expect(noise[0]).toBeCloseTo(Math.log(3), 6);
    expect(noise[1]).toBe(0);
    expect(noise[2]).toBeCloseTo(-Math.log(4), 6);
    // u = 0 would be -infinity: it is kept 1e-7 from the ends.
    expect(Number.isFinite(logisticNoise([0])[0])).toBe(true);
  });

  it('samples g = sigmoid((logit + noise) / temperature): logit 0.5, u = 0.75, temperature 2 gives 0.689826', () => {
    // (0.5 + ln 3) / 2 = 0.799306; sigmoid(0.799306) = 1 / (1 + e^-0.799306) = 1 / 1.449666 = 0.689826.
    // The first channel is always open (the reference's keep_first_channel_alive): logit -3 still gives 1.
    const gate = relaxedGate(tf.tensor1d([-3, 0.5]), tf.tensor1d(logisticNoise([0.5, 0.75])), 2);
    expect(values(gate)[0]).toBe(1);
    expect(values(gate)[1]).toBeCloseTo(0.689826, 5);
  });

  it('has expected value sigmoid(logit) at the reference temperature: logit ln 3 is open 3/4 of the time', () => {
    // On the grid u_i = (i + 0.5) / 1000, g is ~1 where ln 3 + ln(u / (1 - u)) > 0, i.e. u > 1/4:
    // 750 of the 1000 points (the two points next to u = 1/4 give 0.935 and 0.065, which sum to 1).
    // Channel 0, always open, is left out: the grid is channels 1..1000.
    const u = Array.from({ length: 1001 }, (_, i) => (i === 0 ? 0.5 : (i - 0.5) / 1000));
    const gates = relaxedGate(tf.fill([1001], Math.log(3)) as tf.Tensor1D, tf.tensor1d(logisticNoise(u)), 0.001);
    expect(values(tf.mean(tf.slice(gates, 1)))[0]).toBeCloseTo(0.75, 3);
    expect(values(openProbability(tf.tensor1d([Math.log(3), Math.log(3)])))).toEqual([1, expect.closeTo(0.75, 6)]);
  });

  it('is deterministic at evaluation: open exactly where the logit is positive (probability above 0.5), and the first channel', () => {
    expect(values(deterministicGate(tf.tensor1d([-1, -1, 0, 0.3])))).toEqual([1, 0, 0, 1]);
  });

  it('multiplies the last axis by the sample in training and by the deterministic gate in inference', () => {
    const gate = new ChannelGate({ name: 'gate_under_test', temperature: 2 });
    const x = tf.ones([2, 2, 3]);
    gate.apply(x);
    gate.logits.write(tf.tensor1d([-1, 0.5, -2]));
    gate.setNoise(logisticNoise([0.5, 0.75, 0.5]));
    // training: [1 (the first channel), sigmoid((0.5 + ln 3) / 2), sigmoid(-2 / 2)] = [1, 0.689826, 0.268941]
    const trained = values(gate.apply(x, { training: true }) as tf.Tensor);
    expect(trained.slice(0, 3).map((v) => Number(v.toFixed(5)))).toEqual([1, 0.68983, 0.26894]);
    expect(values(gate.apply(x, { training: false }) as tf.Tensor).slice(0, 3)).toEqual([1, 1, 0]);
  });
});

describe('gates in the shrink model', () => {
  it('go after the layer that makes the channels, or after its BatchNormalization', () => {
    const without = mlp(false);
    const withBn = mlp(true);
    const points = (model: tf.LayersModel) => [...findGatePoints(analyzeChannels(buildLayerGraph(model))).points.values()];
    expect(points(without)).toEqual([['hidden']]);
    expect(points(withBn)).toEqual([['bn']]);
  });

  it('share the seed\'s weights, add one logit per channel (init 2.5) and leave the seed without gates', () => {
    const { model, gated: g } = gated(false);
    expect(g.model.weights.length).toBe(model.weights.length + 1);
    expect(values(g.gates[0].logits.read())).toEqual([2.5, 2.5]);
    g.model.getLayer('hidden').setWeights([tf.fill([3, 2], 1)]);
    expect(values(model.getLayer('hidden').getWeights()[0])).toEqual([1, 1, 1, 1, 1, 1]);
    expect(model.layers.map((layer) => layer.getClassName())).toEqual(['InputLayer', 'Dense', 'Dense']);
  });

  it('gate the forward pass: x = [1, 1, 1] gives hidden [7, 5]; logits [1, -1] close channel 1 at evaluation', () => {
    const { gated: g } = gated(false);
    g.gates[0].logits.write(tf.tensor1d([1, -1]));
    expect(values(g.model.predict(tf.ones([1, 3])) as tf.Tensor)).toEqual([7, 0]);
  });

  it('draw the same noise for the same seed and step, as a resumed run must', () => {
    const outputAt = (seed: number, step: number) => {
      const { gated: g } = gated(false, seed);
      g.gates[0].logits.write(tf.tensor1d([0, 0]));
      g.sampleNoise(step);
      return values(g.model.apply(tf.ones([1, 3]), { training: true }) as tf.Tensor);
    };
    const first = outputAt(3, 17);
    expect(outputAt(3, 17)).toEqual(first);
    // logit 0 at temperature 0.001: each gate is ~0 or ~1 (the noise is almost never within 0.01 of 0).
    first.forEach((value, c) => expect(Math.min(Math.abs(value), Math.abs(value - [7, 5][c]))).toBeLessThan(1e-3));
  });

  it('score channels by their open probability in MorphNet\'s penalty: R = 10 * (1 + sigmoid(-1)) = 12.68941', () => {
    // FLOPs weight of a hidden channel: hidden 2 * A_in = 2 * 3, plus out 2 * A_out = 2 * 2: 10.
    // The first channel is always open and scores 1 (no gradient); the second scores sigmoid(-1) = 0.268941,
    // with dR/dlogit = 10 * p * (1 - p) = 10 * 0.268941 * 0.731059 = 1.96612.
    for (const withBatchNorm of [false, true]) {
      const { analysis, gated: g } = gated(withBatchNorm);
      const costModel = new CostModel(analysis);
      const regularizer = new NetworkRegularizer(costModel, g.search.regularized, { kind: 'gates', target: 'flops', threshold: GATE_ALIVE_PROBABILITY, l1Fraction: 0, costOptions: {} });
      // At the initial logit 2.5 the second channel has p = 0.924142: R = 10 * (1 + 0.924142).
      expect(values(regularizer.penalty())[0]).toBeCloseTo(19.24142, 4);
      g.gates[0].logits.write(tf.tensor1d([1, -1]));
      expect(values(regularizer.penalty())[0]).toBeCloseTo(12.68941, 4);
      const { grads } = tf.variableGrads(() => regularizer.penalty(), [g.gates[0].logits.read() as tf.Variable]);
      expect(values(Object.values(grads)[0])).toEqual([0, expect.closeTo(1.96612, 4)]);
      // Alive = probability above 0.5: channel 1 (0.269) dies, FLOPs 2*3*1 + 2*1*2 = 10 (from 20).
      expect(regularizer.cost()).toBe(20);
      regularizer.updateAlive();
      expect(regularizer.cost()).toBe(10);
    }
  });
});

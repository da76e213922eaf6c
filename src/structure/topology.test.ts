import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend/select.js';
import { analyzeChannels, type ChannelAnalysis } from '../graph/channel-groups.js';
import { buildLayerGraph } from '../graph/build-graph.js';
import { planRebuild } from './topology.js';
import type { GroupWidths } from './width-multiplier.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const analyze = (model: tf.LayersModel) => analyzeChannels(buildLayerGraph(model));
const groupOf = (analysis: ChannelAnalysis, layer: string) => analysis.groups.find((g) => g.members.some((m) => m.nodeId === layer))!;

/** The shape of the shared Keras MLP, small: input 6 -> hidden1 (4) -> hidden2 (3) -> out (2, the model output). */
function mlp(): tf.LayersModel {
  const input = tf.input({ shape: [6] });
  const hidden1 = tf.layers.dense({ name: 'hidden1', units: 4, activation: 'relu' }).apply(input);
  const hidden2 = tf.layers.dense({ name: 'hidden2', units: 3, activation: 'relu' }).apply(hidden1);
  return tf.model({ inputs: input, outputs: tf.layers.dense({ name: 'out', units: 2 }).apply(hidden2) as tf.SymbolicTensor });
}

/** input -> a (4) -> sum (Add) <- b (4) <- input; sum -> out (2). The Add ties a and b into one group. */
function twoBranches(): tf.LayersModel {
  const input = tf.input({ shape: [6] });
  const a = tf.layers.dense({ name: 'a', units: 4 }).apply(input) as tf.SymbolicTensor;
  const b = tf.layers.dense({ name: 'b', units: 4 }).apply(input) as tf.SymbolicTensor;
  const sum = tf.layers.add({ name: 'sum' }).apply([a, b]) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: tf.layers.dense({ name: 'out', units: 2 }).apply(sum) as tf.SymbolicTensor });
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

const seedWidths = (analysis: ChannelAnalysis): GroupWidths => analysis.groups.map((g) => g.width);

describe('planRebuild: a layer that reached width 0', () => {
  it('names the emptied layer, not only the output it cut off', () => {
    const analysis = analyze(mlp());
    const widths = seedWidths(analysis);
    widths[groupOf(analysis, 'hidden1').id] = 0;
    // hidden1 is removed (no channel), hidden2 and out lose their only input: the output goes.
    expect(thrown(() => planRebuild(analysis, widths))).toMatchObject({
      message: 'the structure removes the model output "out": "hidden1" reached width 0 and every path to the output goes through it',
      hint: 'lower shrink.strength or shrink.threshold so that "hidden1" keeps at least one channel',
    });
  });

  it('names the second layer when it is the one that emptied', () => {
    const analysis = analyze(mlp());
    const widths = seedWidths(analysis);
    widths[groupOf(analysis, 'hidden2').id] = 0;
    expect(() => planRebuild(analysis, widths)).toThrow('"hidden2" reached width 0');
    expect(() => planRebuild(analysis, widths)).not.toThrow('"hidden1"');
  });

  it('names every layer of an emptied group (both branches of an Add)', () => {
    const analysis = analyze(twoBranches());
    // a and b feed one Add, so they share one group: emptying it empties both branches.
    expect(groupOf(analysis, 'a').id).toBe(groupOf(analysis, 'b').id);
    const widths = seedWidths(analysis);
    widths[groupOf(analysis, 'a').id] = 0;
    expect(() => planRebuild(analysis, widths)).toThrow('the structure removes the model output "out": "a", "b" reached width 0 and every path to the output goes through them');
    expect(planRebuild(analysis, seedWidths(analysis)).removed.size).toBe(0);
  });
});

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend/select.js';
import { CostModel } from '../cost/cost-model.js';
import { countModel } from '../cost/count-model.js';
import { analyzeChannels, type ChannelAnalysis } from '../graph/channel-groups.js';
import { buildLayerGraph } from '../graph/build-graph.js';
import { buildZooModel } from '../model/zoo/registry.js';
import { buildStructure } from '../structure/structure-file.js';
import { aliveForWidths, solveMultiplier, type GroupWidths } from '../structure/width-multiplier.js';
import { rebuildModel } from './rebuild.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const analyze = (model: tf.LayersModel) => analyzeChannels(buildLayerGraph(model));
const groupOf = (analysis: ChannelAnalysis, layer: string) => analysis.groups.find((g) => g.members.some((m) => m.nodeId === layer))!;
const spansSeveralGroups = (analysis: ChannelAnalysis, layer: string) => new Set(Array.from(analysis.outputComponents.get(layer)!, (c) => analysis.componentGroup[c])).size > 1;

/** Learned widths as a shrink might leave them: every prunable group at about 60%, seeded. */
function learnedWidths(analysis: ChannelAnalysis): GroupWidths {
  return analysis.groups.map((g, i) => (g.fixed ? g.width : Math.max(1, Math.round(g.width * (0.4 + 0.4 * (((i * 7919) % 10) / 10))))));
}

function trainOneStep(model: tf.LayersModel): number {
  const shape = (model.inputs[0].shape as number[]).slice(1);
  const classes = (model.outputs[0].shape as number[]).at(-1)!;
  const optimizer = tf.train.sgd(0.01);
  const loss = tf.tidy(() => {
    const x = tf.randomNormal([2, ...shape], 0, 1, 'float32', 5);
    const y = tf.oneHot(tf.tensor1d([0, 1], 'int32'), classes);
    return optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor), true)!.dataSync()[0];
  });
  optimizer.dispose();
  return loss;
}

describe('expand: the width multiplier that fits a budget', () => {
  for (const name of ['resnet20', 'mobilenet-v2']) {
    it(`${name}: hits --target-flops from below within 1%, tied layers stay equal, and the rebuilt model costs exactly that`, async () => {
      const seed = buildZooModel(name, name === 'mobilenet-v2' ? { inputShape: [96, 96, 3], classes: 10 } : {});
      const analysis = analyze(seed);
      const costModel = new CostModel(analysis);
      const seedFlops = costModel.resource('flops', costModel.allAlive());
      const target = 0.5 * seedFlops;
      const { solution } = solveMultiplier(costModel, learnedWidths(analysis), 'flops', target);
      expect(solution!.cost).toBeLessThanOrEqual(target);
      expect(solution!.cost).toBeGreaterThan(0.99 * target);

      const rebuilt = await rebuildModel(seed, analysis, solution!.widths, 1);
      const report = countModel(rebuilt);
      expect(report.totals.flops).toBe(solution!.cost);
      const structure = buildStructure(analysis, costModel, aliveForWidths(analysis, solution!.widths), { model: name, step: 0 });
      expect(report.totals.params).toBe(structure.cost.params);
      // Every layer of a group has the group's width in the rebuilt model (an Add's inputs stay equal).
      const widthOf = (layer: string) => Number(report.layers.find((l) => l.name === layer)!.outputShape.at(-1));
      for (const group of analysis.groups) {
        const widths = group.members.filter((m) => report.layers.some((l) => l.name === m.nodeId)).map((m) => widthOf(m.nodeId) / m.channels[0].length);
        expect(new Set(widths.map((w) => (group.members.length > 0 ? w : 0))).size).toBeLessThanOrEqual(
          // A member holds a slice (a Concatenate: its output spans several groups) or the whole group; all whole-group members agree.
          group.members.some((m) => spansSeveralGroups(analysis, m.nodeId)) ? 2 : 1,
        );
      }
    });
  }

  it('no group grows beyond maxWidth, and a budget above every capped width stops at the caps', () => {
    const analysis = analyze(buildZooModel('cnn'));
    const costModel = new CostModel(analysis);
    const { solution, range } = solveMultiplier(costModel, learnedWidths(analysis), 'flops', 1e12, { maxWidth: 40 });
    const prunable = analysis.groups.filter((g) => !g.fixed);
    expect(prunable.every((g) => solution!.widths[g.id] <= 40)).toBe(true);
    // conv1, conv2, conv3 at 40 channels: 2*(28*28*9*1*40 + 14*14*9*40*40 + 7*7*9*40*40 + 40*10).
    expect(range.largest).toBe(2 * (28 * 28 * 9 * 40 + 14 * 14 * 9 * 40 * 40 + 7 * 7 * 9 * 40 * 40 + 40 * 10));
    expect(solution!.cost).toBe(range.largest);
  });

  it('an unreachable budget has no solution and says what is reachable', () => {
    const analysis = analyze(buildZooModel('cnn'));
    const costModel = new CostModel(analysis);
    const { solution, range } = solveMultiplier(costModel, learnedWidths(analysis), 'flops', 100);
    expect(solution).toBeUndefined();
    // Smallest: every prunable group at 1 channel: conv1 28*28*9*1*1, conv2 14*14*9*1*1, conv3 7*7*9*1*1, dense 1*10; x2 FLOPs.
    expect(range.smallest).toBe(2 * (28 * 28 * 9 + 14 * 14 * 9 + 7 * 7 * 9 + 10));
  });
});

describe('surgery: groups at width 0 remove what they feed', () => {
  it('a residual branch disappears and its skip connection stays; an inception tower leaves the Concatenate', async () => {
    for (const [name, zeroGroup, gone, kept] of [
      ['resnet20', 'stage1_block2_conv1', ['stage1_block2_conv1', 'stage1_block2_conv2', 'stage1_block2_add'], ['stage1_block1_out', 'stage1_block2_out']],
      ['inception-mini', 'mixed1_3x3_reduce', ['mixed1_3x3_reduce', 'mixed1_3x3'], ['mixed1_concat', 'mixed1_1x1']],
    ] as const) {
      const seed = buildZooModel(name);
      const analysis = analyze(seed);
      const widths = analysis.groups.map((g) => g.width);
      widths[groupOf(analysis, zeroGroup).id] = 0;
      const rebuilt = await rebuildModel(seed, analysis, widths, 1);
      const names = rebuilt.layers.map((l) => l.name);
      for (const layer of gone) expect(names).not.toContain(layer);
      for (const layer of kept) expect(names).toContain(layer);
      expect(Number.isFinite(trainOneStep(rebuilt))).toBe(true);
      const costModel = new CostModel(analysis);
      const structure = buildStructure(analysis, costModel, aliveForWidths(analysis, widths), { model: name, step: 0 });
      const report = countModel(rebuilt);
      expect(report.totals.flops).toBe(structure.cost.flops);
      expect(report.totals.params).toBe(structure.cost.params);
      if (name === 'inception-mini') {
        // The concat loses the 3x3 tower's 48 channels: 32 + 24 + 16 remain.
        expect(rebuilt.getLayer('mixed1_concat').outputShape).toEqual([null, 16, 16, 32 + 24 + 16]);
      }
    }
  });

  it('rebuilds the same architecture when every group keeps its width, with seeded fresh weights', async () => {
    const seed = buildZooModel('cnn');
    const analysis = analyze(seed);
    const widths = analysis.groups.map((g) => g.width);
    const a = await rebuildModel(seed, analysis, widths, 3);
    const b = await rebuildModel(seed, analysis, widths, 3);
    expect(countModel(a).totals).toEqual(countModel(seed).totals);
    expect(Array.from(a.getLayer('conv2').getWeights()[0].dataSync())).toEqual(Array.from(b.getLayer('conv2').getWeights()[0].dataSync()));
  });
});

describe('surgery: slicing trained weights to the kept channels', () => {
  it('with the dropped channels dead (BN gamma and beta 0), the sliced model predicts what the seed does, to 1e-5', async () => {
    const { slicePrunedWeights } = await import('./slice-weights.js');
    const seed = buildZooModel('cnn', { width: 0.5 });
    const analysis = analyze(seed);
    const dead: Record<string, number[]> = { conv1_bn: [1, 5, 7], conv2_bn: [0, 2, 31], conv3_bn: [10] };
    for (const [layer, channels] of Object.entries(dead)) {
      const bn = seed.getLayer(layer);
      const [gamma, beta, mean, variance] = bn.getWeights().map((w) => w.bufferSync());
      for (const c of channels) {
        gamma.set(0, c);
        beta.set(0, c);
      }
      bn.setWeights([gamma.toTensor(), beta.toTensor(), mean.toTensor(), variance.toTensor()]);
    }
    const kept = analysis.groups.map((g) => {
      const layer = g.members.find((m) => dead[m.nodeId])?.nodeId;
      return Array.from({ length: g.width }, (_, i) => i).filter((i) => !layer || !dead[layer].includes(i));
    });
    const widths = kept.map((k) => k.length);
    const rebuilt = await rebuildModel(seed, analysis, widths, 1);
    slicePrunedWeights(analysis, rebuilt, widths, kept);
    expect(rebuilt.getLayer('conv2').getWeights()[0].shape).toEqual([3, 3, 16 - 3, 32 - 3]);
    const x = tf.randomNormal([3, 28, 28, 1], 0, 1, 'float32', 9);
    const before = (seed.predict(x) as tf.Tensor).dataSync();
    const after = (rebuilt.predict(x) as tf.Tensor).dataSync();
    for (let i = 0; i < before.length; i++) expect(Math.abs(after[i] - before[i])).toBeLessThan(1e-5);
  });
});

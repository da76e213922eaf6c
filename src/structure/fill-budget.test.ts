import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend/select.js';
import { CostModel } from '../cost/cost-model.js';
import { countModel } from '../cost/count-model.js';
import { analyzeChannels, type ChannelAnalysis } from '../graph/channel-groups.js';
import { buildLayerGraph } from '../graph/build-graph.js';
import { buildZooModel } from '../model/zoo/registry.js';
import { rebuildModel } from '../surgery/rebuild.js';
import { fitBudget } from './fill-budget.js';
import type { GroupWidths } from './width-multiplier.js';

beforeAll(async () => {
  await initBackend('wasm');
});

const analyze = (model: tf.LayersModel) => analyzeChannels(buildLayerGraph(model));

/** Learned widths as a shrink might leave them: each prunable group at 30% to 90% of its width, by a fixed pattern. */
const learnedWidths = (analysis: ChannelAnalysis): GroupWidths =>
  analysis.groups.map((g, i) => (g.fixed ? g.width : Math.max(1, Math.round(g.width * (0.3 + 0.6 * (((i * 7919) % 13) / 13))))));

/**
 * The seed rebuilt at `widths` costs exactly `cost` in FLOPs, and tied layers (the members of one
 * group, e.g. a residual stage joined by Add) have the group's one width.
 */
async function expectBuiltAsPriced(seed: tf.LayersModel, analysis: ChannelAnalysis, widths: GroupWidths, cost: number): Promise<void> {
  const report = countModel(await rebuildModel(seed, analysis, widths, 1));
  expect(report.totals.flops).toBe(cost);
  const widthOf = (layer: string) => report.layers.find((l) => l.name === layer)?.outputShape.at(-1);
  for (const group of analysis.groups.filter((g) => !g.fixed && widths[g.id] > 0)) {
    const whole = group.members.filter((m) => m.channels.length === group.width && m.channels[0].length === 1 && widthOf(m.nodeId) !== undefined);
    expect(new Set(whole.map((m) => widthOf(m.nodeId)))).toEqual(new Set(whole.length ? [widths[group.id]] : []));
  }
}
const groupOf = (analysis: ChannelAnalysis, layer: string) => analysis.groups.find((g) => g.members.some((m) => m.nodeId === layer))!;

/**
 * input 4x4x1 -> convA 3x3 same (a filters) -> convB 1x1 (b filters) -> GAP -> dense 2
 * FLOPs = 2*16*9*1*a + 2*16*1*a*b + 2*b*2 = 288a + 32ab + 4b
 */
function chain(): tf.LayersModel {
  const input = tf.input({ shape: [4, 4, 1] });
  const a = tf.layers.conv2d({ name: 'convA', filters: 4, kernelSize: 3, padding: 'same', useBias: false }).apply(input);
  const b = tf.layers.conv2d({ name: 'convB', filters: 4, kernelSize: 1, useBias: false }).apply(a);
  const pooled = tf.layers.globalAveragePooling2d({}).apply(b);
  return tf.model({ inputs: input, outputs: tf.layers.dense({ name: 'out', units: 2 }).apply(pooled) as tf.SymbolicTensor });
}

/** The chain's cost model with convA learned at 2 channels and convB at 4 (group ids A and B). */
function chainLearnedAt2And4() {
  const analysis = analyze(chain());
  const A = groupOf(analysis, 'convA').id;
  const B = groupOf(analysis, 'convB').id;
  const learned: GroupWidths = analysis.groups.map((g) => g.width);
  learned[A] = 2;
  learned[B] = 4;
  return { costModel: new CostModel(analysis), A, B, learned };
}

describe('fitBudget: the multiplier, then single channels', () => {
  it('adds channels to the group furthest below proportional growth whose next channel fits (hand arithmetic)', () => {
    const { costModel, A, B, learned } = chainLearnedAt2And4();
    // Learned (2, 4) cost 576 + 256 + 16 = 848. Target 1200: the multiplier stops below 1.25, where a
    // would round up to 3 ((3, 5) costs 864 + 480 + 20 = 1364); from 1.125 b is round(4.5) = 5: (2, 5)
    // costs 576 + 320 + 20 = 916. The fill: both next channels come due at (2+1)/2 = (5+1)/4 = 1.5; a
    // (3, 5) does not fit, b (2, 6) = 576 + 384 + 24 = 984 does; then a (3, 6) = 1464 no, b (2, 7) = 1052;
    // (2, 8) = 1120; (2, 9) = 1188; (2, 10) = 1256 and (3, 9) = 1564 do not fit.
    const pure = fitBudget(costModel, learned, 'flops', 1200, { fill: false }).fit!;
    expect([pure.widths[A], pure.widths[B], pure.cost]).toEqual([2, 5, 916]);
    expect(pure.filled).toEqual([]);
    const { fit } = fitBudget(costModel, learned, 'flops', 1200, { fill: true });
    expect([fit!.widths[A], fit!.widths[B], fit!.cost, fit!.slack]).toEqual([2, 9, 1188, 12]);
    expect(fit!.multiplier).toBe(pure.multiplier);
    expect(fit!.filled).toEqual([6, 7, 8, 9].map((width) => ({ group: B, width })));
  });

  it('respects maxWidth and never grows a group the shrink removed', () => {
    const { costModel, A, B, learned } = chainLearnedAt2And4();
    // With b capped at 6: (2, 6) costs 984; a (3, 6) = 1464 is over 1200, so the fill stops at 984.
    const { fit } = fitBudget(costModel, learned, 'flops', 1200, { fill: true, maxWidth: 6 });
    expect([fit!.widths[A], fit!.widths[B], fit!.cost]).toEqual([2, 6, 984]);
  });

  it('with roundTo prices the rounded widths and fills in steps of roundTo: FLOPs and size stay within the budget (hand arithmetic)', () => {
    const { costModel, A, B, learned } = chainLearnedAt2And4();
    // roundTo 4: widths round up from u = 4m + 2, 1..3 go to 4. (round(2w), round(4w)) rounded: w = 0 (4, 4)
    // 1152 + 512 + 16 = 1680 FLOPs; B to 8 from w = 5.5 / 4 = 1.375: (4, 8) 1152 + 1024 + 32 = 2208; B to 12 from
    // 9.5 / 4 = 2.375: (4, 12) 1152 + 1536 + 48 = 2736; A to 8 from 5.5 / 2 = 2.75: (8, 12) 2304 + 3072 + 48 = 5424.
    // Target 5000: the multiplier stops below 2.75 at (4, 12).
    const pure = fitBudget(costModel, learned, 'flops', 5000, { roundTo: 4, fill: false }).fit!;
    expect([pure.widths[A], pure.widths[B], pure.cost]).toEqual([4, 12, 2736]);
    expect(pure.multiplier).toBeCloseTo(2.75, 7);
    // The fill in steps of 4: A to 8 (next 8 / 2 = 4, B 16 / 4 = 4) gives 5424, no; B to 16: 1152 + 2048 + 64 =
    // 3264; then A (8, 16) 6464 no, B (4, 20) 1152 + 2560 + 80 = 3792, (4, 24) 4320, (4, 28) 4848; (4, 32) 5376
    // and (8, 28) 2304 + 7168 + 112 = 9584 do not fit.
    const { fit } = fitBudget(costModel, learned, 'flops', 5000, { roundTo: 4, fill: true });
    expect([fit!.widths[A], fit!.widths[B], fit!.cost, fit!.slack]).toEqual([4, 28, 4848, 5000 - 4848]);
    expect(fit!.filled).toEqual([16, 20, 24, 28].map((width) => ({ group: B, width })));
    // Size: convA 9a, convB ab, out 2b + 2 (no conv biases): (4, 12) 36 + 48 + 24 + 2 = 110, (8, 12) 72 + 96 + 24
    // + 2 = 194. Target 150: the multiplier stops at (4, 12); the fill: A (8, 12) no, B (4, 16) 36 + 64 + 32 + 2 =
    // 134, then A (8, 16) 234 and B (4, 20) 158 do not fit.
    const size = fitBudget(costModel, learned, 'size', 150, { roundTo: 4, fill: true }).fit!;
    expect([size.widths[A], size.widths[B], size.cost]).toEqual([4, 16, 134]);
  });

  it("zoo:cnn (the mnist config's seed) with the structure its shrink learns: 60% of the seed lands within 0.5% below", () => {
    const analysis = analyze(buildZooModel('cnn'));
    const costModel = new CostModel(analysis);
    const target = 0.6 * costModel.resource('flops', costModel.allAlive()); // 0.6 * 14.9M
    const learned: GroupWidths = analysis.groups.map((g) => g.width);
    [['conv1', 23], ['conv2', 32], ['conv3', 128]].forEach(([layer, width]) => (learned[groupOf(analysis, layer as string).id] = width as number));
    const pure = fitBudget(costModel, learned, 'flops', target, { fill: false }).fit!;
    const { fit } = fitBudget(costModel, learned, 'flops', target, { fill: true });
    expect(pure.cost).toBeLessThan(0.99 * target); // the multiplier alone leaves 1.6% unused
    expect(fit!.cost).toBeLessThanOrEqual(target);
    expect(fit!.cost).toBeGreaterThanOrEqual(0.995 * target);
  });

  for (const name of ['resnet20', 'mobilenet-v2']) {
    it(`${name}: 60% and 25% of the seed's FLOPs land within 0.5% below the target; the rebuilt model costs exactly that, tied layers equal`, async () => {
      const seed = buildZooModel(name, name === 'mobilenet-v2' ? { width: 0.35, inputShape: [96, 96, 3], classes: 10 } : {});
      const analysis = analyze(seed);
      const costModel = new CostModel(analysis);
      const seedFlops = costModel.resource('flops', costModel.allAlive());
      const learned = learnedWidths(analysis);
      for (const fraction of [0.6, 0.25]) {
        const target = fraction * seedFlops;
        const pure = fitBudget(costModel, learned, 'flops', target, { fill: false }).fit!;
        const { fit } = fitBudget(costModel, learned, 'flops', target, { fill: true });
        expect(fit!.cost).toBeLessThanOrEqual(target);
        expect(fit!.cost, `${name} at ${fraction}: multiplier alone ${pure.cost / target}`).toBeGreaterThanOrEqual(0.995 * target);
        expect(fit!.cost).toBeGreaterThanOrEqual(pure.cost);
        await expectBuiltAsPriced(seed, analysis, fit!.widths, fit!.cost);
      }
    });
  }

  it('resnet20 with roundTo 8: 60% of the seed\'s FLOPs, every width a multiple of 8, tied layers equal, the rebuilt model within the budget', async () => {
    const seed = buildZooModel('resnet20');
    const analysis = analyze(seed);
    const costModel = new CostModel(analysis);
    const target = 0.6 * costModel.resource('flops', costModel.allAlive());
    const { fit } = fitBudget(costModel, learnedWidths(analysis), 'flops', target, { roundTo: 8, fill: true });
    expect(fit!.cost).toBeLessThanOrEqual(target);
    for (const group of analysis.groups.filter((g) => !g.fixed && fit!.widths[g.id] > 0)) expect(fit!.widths[group.id] % 8, `group ${group.id}`).toBe(0);
    await expectBuiltAsPriced(seed, analysis, fit!.widths, fit!.cost);
  });
});

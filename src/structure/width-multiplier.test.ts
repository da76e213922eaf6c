import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend/select.js';
import { CostModel } from '../cost/cost-model.js';
import { classJumpModel, classJumpTable, handMadeLayer, handMadeTable, pointwiseConvNet } from '../cost/latency-table-fixtures.js';
import { graphFingerprint } from '../cost/graph-fingerprint.js';
import { analyzeChannels } from '../graph/channel-groups.js';
import { buildLayerGraph } from '../graph/build-graph.js';
import { StructureCosting } from './cost-of.js';
import { fillBudget, fitBudget, TABLE_FILL_MAX_GROWTH } from './fill-budget.js';
import { solveMultiplier, widthBreakpoints, type GroupWidths } from './width-multiplier.js';

beforeAll(async () => {
  await initBackend('cpu');
});

/** classJumpModel with its table, conv's group learned at 12 channels. */
function classJump() {
  const model = classJumpModel();
  const analysis = analyzeChannels(buildLayerGraph(model));
  const group = analysis.groups.find((g) => g.sources.includes('conv'))!.id;
  const learned: GroupWidths = analysis.groups.map((g) => g.width);
  learned[group] = 12;
  return { costModel: new CostModel(analysis), costOptions: { hardware: classJumpTable(model) }, group, learned };
}

describe('solveMultiplier where latency is not monotone in width', () => {
  it('returns the 32-wide structure although 25 to 31 channels do not fit (hand arithmetic)', () => {
    const { costModel, costOptions, group, learned } = classJump();
    const costing = new StructureCosting(costModel, costOptions);
    const latency = (width: number) => costing.resource('latency', learned.map((w, g) => (g === group ? width : w)));
    // The model takes conv's time + 0.5 ms: 24 channels 1.2 + 0.5, 31 channels 3.1 + 0.5, 32 channels 1.6 + 0.5.
    expect([latency(24), latency(31), latency(32)].map((ms) => ms.toFixed(12))).toEqual([1.7, 3.6, 2.1].map((ms) => ms.toFixed(12)));
    // Target 2.15 ms: conv may take 1.65. Doubling from w = 1: 12 channels (XNNPACK 1.2) fits, w = 2: 24 (1.2)
    // fits, w = 4: 48 (1.6 + 16 * 0.05 = 2.4) does not. Bisecting [2, 4]: 36 (padded, 2.0), 30 (3.0), 27, 26, 25
    // do not fit, so the bisection ends below 24.5 / 12 at 24 channels. Of the widths above, 25..31 (2.5..3.1),
    // 33..40 (2.0) and 41 on (2.4 and up) do not fit; 32 (1.6) does: the multiplier in the middle of
    // [31.5 / 12, 32.5 / 12).
    const { solution } = solveMultiplier(costModel, learned, 'latency', 2.15, { costOptions });
    expect(solution!.widths[group]).toBe(32);
    expect(solution!.cost).toBeCloseTo(1.6 + 0.5, 12);
    expect(solution!.slack).toBeCloseTo(2.15 - 2.1, 12);
    expect(solution!.multiplier).toBeCloseTo(32 / 12, 12);
  });

  it('a target below every group at one channel is met above it, where a whole tile runs faster (hand arithmetic)', () => {
    const model = classJumpModel();
    const analysis = analyzeChannels(buildLayerGraph(model));
    const group = analysis.groups.find((g) => g.sources.includes('conv'))!.id;
    // conv: XNNPACK 1.0 ms at 4 and 1.2 at 12 (1.0 + 0.025 * (w - 4)), whole tiles 0.4 at 16 and 0.6 at 24
    // (0.4 + 0.025 * (w - 16)); pool, fc and overhead 0.5 as in classJumpTable.
    const layers = [
      handMadeLayer('conv', 'Conv2D', [null, 8, 8, 8], [null, 8, 8, 40], [8], [4, 12, 16, 24], [[1.0, 1.2, 0.4, 0.6]], { input: 'conv-reduction', output: 'conv-result' }),
      handMadeLayer('pool', 'GlobalAveragePooling2D', [null, 8, 8, 40], [null, 40], [40], [40], [[0.1]]),
      handMadeLayer('fc', 'Dense', [null, 40], [null, 2], [40], [2], [[0.2]]),
    ];
    const costOptions = { hardware: { name: 'xnnpack-slow', path: '(hand-made)', table: handMadeTable(graphFingerprint(analysis.graph), layers, 1.3, 0.2) } };
    const learned: GroupWidths = analysis.groups.map((g) => (g.id === group ? 8 : g.width));
    const costModel = new CostModel(analysis);
    // Learned 8: w = 0 leaves 1 channel, XNNPACK 1.0 - 3 * 0.025 = 0.925 ms, 1.425 in all: above the target 1.0
    // (conv 0.5 at most). Above it 8 channels (0.4 - 8 * 0.025 = 0.2) and 16 (0.4) fit; 2..7, 9..15 and
    // 17..23 (XNNPACK, 0.95 and up), 24 (0.6), 32 (0.8) and the padded widths from 33 (40: 1.0) do not. The
    // largest: 16 channels, in the middle of [15.5 / 8, 16.5 / 8).
    const { solution, range } = solveMultiplier(costModel, learned, 'latency', 1.0, { costOptions });
    expect([solution!.widths[group], solution!.multiplier]).toEqual([16, 2]);
    expect(solution!.cost).toBeCloseTo(0.4 + 0.5, 12);
    // Target 0.6 (conv 0.1): nothing fits; the least cost priced is 8 channels, 0.2 + 0.5.
    const unreachable = solveMultiplier(costModel, learned, 'latency', 0.6, { costOptions });
    expect(unreachable.solution).toBeUndefined();
    expect(unreachable.range.smallest).toBeCloseTo(0.7, 12);
    expect(range.smallest).toBeCloseTo(0.7, 12);
  });

  it('FLOPs grow with every width: the bisection alone answers', () => {
    const { costModel, group, learned } = classJump();
    const costing = new StructureCosting(costModel);
    const flopsAt = (width: number) => costing.resource('flops', learned.map((w, g) => (g === group ? width : w)));
    const { solution } = solveMultiplier(costModel, learned, 'flops', (flopsAt(24) + flopsAt(25)) / 2);
    expect(solution!.widths[group]).toBe(24);
    expect(solution!.multiplier).toBeLessThan(24.5 / 12);
  });
});

describe('widthBreakpoints', () => {
  it('lists where round(w * learned) changes above a multiplier, merged across groups (hand arithmetic)', () => {
    // input[4,4,1] -> convA 4 -> convB 4 -> GAP -> dense 2; learned widths 2 and 4.
    const analysis = analyzeChannels(buildLayerGraph(pointwiseConvNet([4, 4, 1], [{ name: 'convA', filters: 4 }, { name: 'convB', filters: 4 }])));
    const learned: GroupWidths = analysis.groups.map((g) => g.width);
    learned[analysis.groups.find((g) => g.sources.includes('convA'))!.id] = 2;
    learned[analysis.groups.find((g) => g.sources.includes('convB'))!.id] = 4;
    // Above w = 1: A at (k + 0.5) / 2 = 1.25, 1.75, 2.25, 2.75, ...; B at (k + 0.5) / 4 = 1.125, 1.375, 1.625, 1.875, ...
    expect(widthBreakpoints(analysis, learned, 1, 100, 5)).toEqual([1.125, 1.25, 1.375, 1.625, 1.75]);
    // Up to w = 2: both end there.
    expect(widthBreakpoints(analysis, learned, 1, 2, 100)).toEqual([1.125, 1.25, 1.375, 1.625, 1.75, 1.875]);
    // maxWidth 6: A grows to 6 at 5.5 / 2 = 2.75, B at 5.5 / 4 = 1.375; no breakpoint after those.
    expect(widthBreakpoints(analysis, learned, 1, 100, 100, { maxWidth: 6 })).toEqual([1.125, 1.25, 1.375, 1.75, 2.25, 2.75]);
    // From w = 0 a group is held at 1 channel until 1.5 / learned: A's first breakpoint is 0.75, B's 0.375.
    expect(widthBreakpoints(analysis, learned, 0, 100, 3)).toEqual([0.375, 0.625, 0.75]);
    // roundTo 4: a width rounds up from u = 4m + 2 (halves up; 1..3 go to 4), so A (learned 2) changes at
    // (6 - 0.5) / 2 = 2.75, (10 - 0.5) / 2 = 4.75, ...; B (learned 4) at 5.5 / 4 = 1.375, 9.5 / 4 = 2.375,
    // 13.5 / 4 = 3.375, 17.5 / 4 = 4.375.
    expect(widthBreakpoints(analysis, learned, 0, 100, 5, { roundTo: 4 })).toEqual([1.375, 2.375, 2.75, 3.375, 4.375]);
    // With maxWidth 10 as well: the multiples of 4 within 10 end at 8, reached at 2.75 (A) and 1.375 (B).
    expect(widthBreakpoints(analysis, learned, 0, 100, 100, { roundTo: 4, maxWidth: 10 })).toEqual([1.375, 2.75]);
  });
});

describe('fillBudget where latency is not monotone in width', () => {
  it('jumps past channels that do not fit to the class boundary that does (hand arithmetic)', () => {
    const { costModel, costOptions, group, learned } = classJump();
    const start = learned.map((w, g) => (g === group ? 24 : w));
    // From 24 channels (1.7 ms) with target 2.15: 25 channels (2.5 + 0.5) does not fit; of its class boundaries
    // up to the next multiple of 8, 28 (XNNPACK, 2.8 + 0.5) does not, 32 (1.6 + 0.5) does. Then neither 33 nor
    // the boundaries above it, 36 and 40 (both 2.0 + 0.5), fit.
    const filled = fillBudget(costModel, learned, start, 'latency', 2.15, { costOptions });
    expect(filled.widths[group]).toBe(32);
    expect(filled.cost).toBeCloseTo(2.1, 12);
    expect(filled.added).toEqual([{ group, width: 32 }]);
    // Capped at 30 channels: 25 and 28 do not fit, 32 is past the cap: the fill stops at 24.
    const capped = fillBudget(costModel, learned, start, 'latency', 2.15, { costOptions, maxWidth: 30 });
    expect([capped.widths[group], capped.added]).toEqual([24, []]);
  });

  it('fitBudget with fill lands on 32 and adds nothing after it', () => {
    const { costModel, costOptions, group, learned } = classJump();
    const { fit } = fitBudget(costModel, learned, 'latency', 2.15, { costOptions, fill: true });
    expect([fit!.widths[group], fit!.filled]).toEqual([32, []]);
  });
});

/**
 *   input[8,8,8] -> convA: Conv2D 16 1x1 -> convB: Conv2D 16 1x1 -> pool: GlobalAveragePooling2D -> fc: Dense 2
 * Two prunable groups: convA's channels (convB's inputs) and convB's (pool's, fc's inputs).
 * Its table: each conv's result channels as the second test above, XNNPACK 1.0 ms at 4 and 1.2
 * at 12 (0.9 + 0.025 * w), whole tiles 0.4 at 16 and 0.6 at 24 (0.025 * w, so 8 channels 0.2 and
 * 32 0.8), padded widths from 33 as their multiple of 8 on the whole tiles' line (0.025 * that);
 * convB's time does not depend on its inputs (one input sample). pool 0.1, fc 0.2, overhead
 * 0.2: the model takes convA's time + convB's + 0.5 ms.
 */
function twoConvsWithXnnpackFloor() {
  const model = pointwiseConvNet([8, 8, 8], [{ name: 'convA', filters: 16 }, { name: 'convB', filters: 16 }]);
  const analysis = analyzeChannels(buildLayerGraph(model));
  const rules = { input: 'conv-reduction', output: 'conv-result' } as const;
  const layers = [
    handMadeLayer('convA', 'Conv2D', [null, 8, 8, 8], [null, 8, 8, 16], [8], [4, 12, 16, 24], [[1.0, 1.2, 0.4, 0.6]], rules),
    handMadeLayer('convB', 'Conv2D', [null, 8, 8, 16], [null, 8, 8, 16], [16], [4, 12, 16, 24], [[1.0, 1.2, 0.4, 0.6]], rules),
    handMadeLayer('pool', 'GlobalAveragePooling2D', [null, 8, 8, 16], [null, 16], [16], [16], [[0.1]]),
    handMadeLayer('fc', 'Dense', [null, 16], [null, 2], [16], [2], [[0.2]]),
  ];
  const costOptions = { hardware: { name: 'xnnpack-floor', path: '(hand-made)', table: handMadeTable(graphFingerprint(analysis.graph), layers, 0.4 + 0.4 + 0.3, 0.2) } };
  const A = analysis.groups.find((g) => g.sources.includes('convA'))!.id;
  const B = analysis.groups.find((g) => g.sources.includes('convB'))!.id;
  // Learned widths 12 and 10: one multiplier rarely makes both multiples of 8.
  const learned: GroupWidths = analysis.groups.map((g) => (g.id === A ? 12 : g.id === B ? 10 : g.width));
  return { costModel: new CostModel(analysis), costing: new StructureCosting(analysis, costOptions), costOptions, A, B, learned };
}

describe('solveMultiplier with roundTo prices the rounded widths', () => {
  it('finds a latency target that only widths in multiples of 8 reach, and the result fits (hand arithmetic)', () => {
    const { costModel, costing, costOptions, A, B, learned } = twoConvsWithXnnpackFloor();
    const latency = (a: number, b: number) => costing.resource('latency', learned.map((w, g) => (g === A ? a : g === B ? b : w)));
    // 0.2 + 0.4 + 0.5; (8 channels 0.2) + (6 channels XNNPACK 0.9 + 0.15) + 0.5; 0.6 + 0.4 + 0.5.
    expect([latency(8, 16), latency(8, 6), latency(24, 16)].map((ms) => ms.toFixed(12))).toEqual([1.1, 1.75, 1.5].map((ms) => ms.toFixed(12)));
    // Unrounded, (round(12w), round(10w)): both multiples of 8 first at w = 4, (48, 40), 1.2 + 1.0 + 0.5 = 2.7.
    // Both XNNPACK: at least 0.925 + 0.925 + 0.5 = 2.35 (1 channel each, w = 0); one past 32 unaligned: at least
    // 1.0 (40 computed) + 0.025 * 27 (the other at w >= 32.5 / 12) + 0.5. One multiple of 8 and one XNNPACK: 8
    // channels in A (w in [7.5, 8.5) / 12) leaves B at 6 or 7, 0.2 + 1.05 + 0.5 = 1.75 at least; 8 in B leaves
    // A at 9 or 10 (1.825). So target 1.55 is out of reach: the least cost priced is 1.75.
    const unrounded = solveMultiplier(costModel, learned, 'latency', 1.55, { costOptions });
    expect(unrounded.solution).toBeUndefined();
    expect(unrounded.range.smallest).toBeCloseTo(1.75, 12);
    // Rounded to 8 ((u + 4) / 8 down, times 8; 8 below 8): every width a whole tile, 0.025 ms a channel, so the
    // cost grows with w. w = 0: (8, 8) 0.9; w = 1: (16, 8) 1.1; from w = 19.5 / 12 = 1.625 A is 24: (24, 16)
    // 0.6 + 0.4 + 0.5 = 1.5 fits; from w = 19.5 / 10 = 1.95 B is 24: (24, 24) 1.7 does not. The bisection
    // ends just below 1.95; of the breakpoints above it (1.95, A to 32 at 27.5 / 12, ...) none fits.
    const { solution, range } = solveMultiplier(costModel, learned, 'latency', 1.55, { costOptions, roundTo: 8 });
    expect([solution!.widths[A], solution!.widths[B]]).toEqual([24, 16]);
    expect(solution!.cost).toBeCloseTo(1.5, 12);
    expect(solution!.cost).toBeLessThanOrEqual(1.55);
    expect(solution!.slack).toBeCloseTo(0.05, 12);
    expect(solution!.multiplier).toBeCloseTo(1.95, 7);
    expect(solution!.multiplier).toBeLessThan(1.95);
    expect(range.smallest).toBeCloseTo(0.2 + 0.2 + 0.5, 12);
    // fitBudget with fill, in steps of 8: B to 24 (1.7), A to 32 (1.7), and the boundaries that are multiples
    // of 8 (B 32: 1.9, A 40: 1.9) do not fit: nothing added.
    const { fit } = fitBudget(costModel, learned, 'latency', 1.55, { costOptions, roundTo: 8, fill: true });
    expect([fit!.widths[A], fit!.widths[B], fit!.filled]).toEqual([24, 16, []]);
    expect(fit!.cost).toBeLessThanOrEqual(1.55);
  });
});

describe('fillBudget where a table prices more channels at nothing', () => {
  it('stops each group at TABLE_FILL_MAX_GROWTH (4) times its seed width, where it would fill forever', () => {
    // conv1: 16 1x1 filters on a 4x4x3 image; conv2: 16 on conv1's; both 0.5 ms at 8 and at 16 result channels: flat,
    // and flat past the samples. Pool and fc 0 ms; overhead 0.2. Every structure costs 1.2 ms.
    const model = pointwiseConvNet([4, 4, 3], [{ name: 'conv1', filters: 16 }, { name: 'conv2', filters: 16 }]);
    const analysis = analyzeChannels(buildLayerGraph(model));
    const layers = [
      handMadeLayer('conv1', 'Conv2D', [null, 4, 4, 3], [null, 4, 4, 16], [3], [8, 16], [[0.5, 0.5]]),
      handMadeLayer('conv2', 'Conv2D', [null, 4, 4, 16], [null, 4, 4, 16], [16], [8, 16], [[0.5, 0.5]]),
      handMadeLayer('pool', 'GlobalAveragePooling2D', [null, 4, 4, 16], [null, 16], [16], [16], [[0]]),
      handMadeLayer('fc', 'Dense', [null, 16], [null, 2], [16], [2], [[0]]),
    ];
    const costOptions = { hardware: { name: 'flat', path: '(hand-made)', table: handMadeTable(graphFingerprint(analysis.graph), layers, 1, 0.2) } };
    const seed = analysis.groups.map((g) => g.width);
    const filled = fillBudget(new CostModel(analysis), seed, seed, 'latency', 10, { costOptions });
    const prunable = analysis.groups.filter((g) => !g.fixed).map((g) => g.id);
    // 4 x 16 = 64 channels each, one channel at a time from 16: 2 x 48 steps; the cost stays 1.2 ms.
    expect(prunable.map((g) => filled.widths[g])).toEqual([TABLE_FILL_MAX_GROWTH * 16, TABLE_FILL_MAX_GROWTH * 16]);
    expect(filled.added).toHaveLength(2 * 48);
    expect(filled.cost).toBeCloseTo(1.2, 12);
  });
});

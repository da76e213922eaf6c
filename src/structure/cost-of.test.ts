import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend/select.js';
import { countModel } from '../cost/count-model.js';
import { analyzeChannels, type ChannelAnalysis } from '../graph/channel-groups.js';
import { buildLayerGraph } from '../graph/build-graph.js';
import { rebuildModel } from '../surgery/rebuild.js';
import { costOf, StructureCosting } from './cost-of.js';
import { seedStructure, structureFromAlive, widthsOf, withWidths, type Structure } from './structure.js';
import { buildStructure, structureFile, structureOfFile } from './structure-file.js';
import { CostModel } from '../cost/cost-model.js';

beforeAll(async () => {
  await initBackend('cpu');
});

/**
 * input 6x6x3 -> convA 3x3 valid (4 filters, bias) -> 4x4 -> convB 3x3 valid (4 filters, bias) -> 2x2 -> GAP -> dense 2
 * FLOPs at widths (a, b) = 2*16*27*a + 2*4*9*a*b + 2*b*2 = 864a + 72ab + 4b
 * params (trainable) = (27a + a) + (9ab + b) + (2b + 2) = 28a + 9ab + 3b + 2
 */
function chain(): tf.LayersModel {
  const input = tf.input({ shape: [6, 6, 3] });
  const a = tf.layers.conv2d({ name: 'convA', filters: 4, kernelSize: 3 }).apply(input);
  const b = tf.layers.conv2d({ name: 'convB', filters: 4, kernelSize: 3 }).apply(a);
  const pooled = tf.layers.globalAveragePooling2d({}).apply(b);
  return tf.model({ inputs: input, outputs: tf.layers.dense({ name: 'out', units: 2 }).apply(pooled) as tf.SymbolicTensor });
}

const groupId = (analysis: ChannelAnalysis, layer: string) => analysis.groups.find((g) => g.members.some((m) => m.nodeId === layer))!.id;

function chainAt(a: number, b: number): { analysis: ChannelAnalysis; seed: tf.LayersModel; structure: Structure } {
  const seed = chain();
  const analysis = analyzeChannels(buildLayerGraph(seed));
  const widths = widthsOf(seedStructure(analysis));
  widths[groupId(analysis, 'convA')] = a;
  widths[groupId(analysis, 'convB')] = b;
  return { analysis, seed, structure: withWidths(seedStructure(analysis), widths) };
}

describe('costOf: one price for a structure', () => {
  it('prices integer widths by hand arithmetic', () => {
    const { analysis, structure } = chainAt(2, 3);
    const { totals } = costOf(analysis, structure);
    expect(totals.flops).toBe(864 * 2 + 72 * 2 * 3 + 4 * 3);
    expect(totals.params).toBe(28 * 2 + 9 * 2 * 3 + 3 * 3 + 2);
  });

  it('prices widths above the seed too (expand grows past it)', () => {
    const { analysis, structure } = chainAt(6, 5);
    expect(costOf(analysis, structure).totals.flops).toBe(864 * 6 + 72 * 6 * 5 + 4 * 5);
  });

  it('agrees with countModel on the rebuilt model (the cross-check)', async () => {
    const { analysis, seed, structure } = chainAt(3, 1);
    const rebuilt = await rebuildModel(seed, analysis, widthsOf(structure), 1);
    const counted = countModel(rebuilt).totals;
    const priced = costOf(analysis, structure).totals;
    expect([priced.flops, priced.params, priced.totalParams]).toEqual([counted.flops, counted.params, counted.totalParams]);
    rebuilt.dispose();
  });

  it('StructureCosting.resource gives the same number as evaluate, for every width tried', () => {
    const { analysis } = chainAt(4, 4);
    const costing = new StructureCosting(analysis);
    const [A, B] = [groupId(analysis, 'convA'), groupId(analysis, 'convB')];
    for (const [a, b] of [[1, 1], [2, 4], [4, 2], [7, 3]]) {
      const widths = widthsOf(seedStructure(analysis));
      widths[A] = a;
      widths[B] = b;
      expect(costing.resource('flops', widths)).toBe(costing.evaluate(widths).totals.flops);
      expect(costing.resource('flops', widths)).toBe(864 * a + 72 * a * b + 4 * b);
    }
  });
});

describe('Structure: one value from shrink and expand', () => {
  it('structureFromAlive keeps the alive channels of each group', () => {
    const { analysis } = chainAt(4, 4);
    const A = groupId(analysis, 'convA');
    const alive = new Float64Array(analysis.numComponents).fill(1);
    // convA's channels 0 and 2 die.
    alive[analysis.groups[A].components[0]] = 0;
    alive[analysis.groups[A].components[2]] = 0;
    const structure = structureFromAlive(analysis, alive);
    expect(structure.groups[A]).toEqual({ width: 2, kept: [1, 3] });
  });

  it('withWidths keeps the first channels of the structure it scales', () => {
    const learned: Structure = { groups: [{ width: 3, kept: [0, 2, 5] }, { width: 2, kept: [1, 4] }] };
    expect(withWidths(learned, [2, 4]).groups).toEqual([
      { width: 2, kept: [0, 2] },
      // Width 4 from 2 kept channels: the 2 new channels have no seed channel.
      { width: 4, kept: [1, 4] },
    ]);
  });

  it('the structure file shrink writes holds the costs costOf gives, per layer and in total, with the seed beside them', () => {
    const { analysis } = chainAt(4, 4);
    const alive = new Float64Array(analysis.numComponents).fill(1);
    alive[analysis.groups[groupId(analysis, 'convB')].components[3]] = 0;
    const file = buildStructure(analysis, new CostModel(analysis), alive, { model: 'chain', step: 7 });
    // Widths (4, 3): 864*4 + 72*12 + 4*3 = 4332; the seed (4, 4): 3456 + 1152 + 16 = 4624.
    expect(file.cost.flops).toBe(4332);
    expect(file.seedCost!.flops).toBe(4624);
    expect(file.widths).toEqual({ convA: 4, convB: 3, out: 2 });
    expect(file.layers!.map((l) => [l.name, l.original, l.seedFlops, l.flops])).toEqual([
      ['convA', 4, 864 * 4, 864 * 4],
      ['convB', 4, 72 * 16, 72 * 12],
      ['out', 2, 4 * 4, 4 * 3],
    ]);
    // Read back, the file is the same structure.
    const again = structureFile(new StructureCosting(analysis), structureOfFile(file), { model: 'chain', step: 7 });
    expect(again).toEqual(file);
  });
});

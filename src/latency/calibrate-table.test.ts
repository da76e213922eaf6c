import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend/select.js';
import { CostModel } from '../cost/cost-model.js';
import { graphFingerprint } from '../cost/graph-fingerprint.js';
import { handMadeLayer, handMadeTable, pointwiseConvNet } from '../cost/latency-table-fixtures.js';
import { analyzeChannels, type ChannelAnalysis } from '../graph/channel-groups.js';
import { buildLayerGraph } from '../graph/build-graph.js';
import { aliveForWidths, type GroupWidths } from '../structure/width-multiplier.js';
import { calibrateTable, calibrationWidths, layerScaleFor, scaledTable } from './calibrate-table.js';
import { measureLatencyTable } from './measure-model.js';

beforeAll(async () => {
  await initBackend('cpu');
});

/** conv1: 16 1x1 filters on a 4x4x3 image; conv2: 24 on conv1's; pool; fc 2. Groups: conv1's 16, conv2's 24. */
const model = () => pointwiseConvNet([4, 4, 3], [{ name: 'conv1', filters: 16 }, { name: 'conv2', filters: 24 }]);

const predictedMs = (analysis: ChannelAnalysis, table: Parameters<typeof scaledTable>[0], widths: GroupWidths) =>
  new CostModel(analysis).resource('latency', aliveForWidths(analysis, widths), { hardware: { name: 't', path: 't.json', table }, batchSize: 1 });

describe('table calibration on a second whole model', () => {
  it('the calibration structure: each prunable group at half its width, in multiples of roundTo within the seed width', () => {
    const analysis = analyzeChannels(buildLayerGraph(model()));
    const byLayer = (widths: GroupWidths) => Object.fromEntries(analysis.groups.filter((g) => !g.fixed).map((g) => [g.sources[0], widths[g.id]]));
    // 16 -> 8; 24 -> 12. In multiples of 8: 8 -> 8; 12 -> 16 (the nearest, halves up).
    expect(byLayer(calibrationWidths(analysis, 1))).toEqual({ conv1: 8, conv2: 12 });
    expect(byLayer(calibrationWidths(analysis, 8))).toEqual({ conv1: 8, conv2: 16 });
    // Fixed groups (the image's 3 channels, fc's 2 outputs) keep their widths.
    for (const group of analysis.groups.filter((g) => g.fixed)) expect(calibrationWidths(analysis, 8)[group.id]).toBe(group.width);
  });

  it('layerScaleFor: the factor and overhead through both measured points', () => {
    // Seed: whole 4 ms, layers 3 ms (overhead 1). Calibration: layers 1.2 ms by the table, measured at 50% of the seed.
    // k = 4 (1 - 0.5) / (3 - 1.2) = 2 / 1.8 = 10/9; a = 4 - 10/9 * 3 = 2/3.
    const fit = layerScaleFor(4, 3, 1.2, 0.5)!;
    expect(fit.layerScale).toBeCloseTo(10 / 9, 12);
    expect(fit.overheadMs).toBeCloseTo(2 / 3, 12);
    // Both points hold: a + k 3 = 4 and a + k 1.2 = 2/3 + 4/3 = 2 = 0.5 x 4.
    expect(fit.overheadMs + fit.layerScale * 3).toBeCloseTo(4, 12);
    expect(fit.overheadMs + fit.layerScale * 1.2).toBeCloseTo(2, 12);
    // Layers that do not shrink give no factor.
    expect(layerScaleFor(4, 3, 3, 0.5)).toBeUndefined();
  });

  it('scaledTable: every layer time times the factor, the whole model unchanged, the overhead made up to it', () => {
    const analysis = analyzeChannels(buildLayerGraph(model()));
    // conv1 on 3 channels: 1 ms at 8 filters, 2 at 16. conv2: 0.5 ms at (8 in, 12 out), 1 at (8, 24), 1 at (16, 12), 2 at (16, 24).
    // pool 0 ms, fc 0 ms. Seed layers: 2 + 2 = 4 ms; overhead 1; whole 5.
    const layers = [
      handMadeLayer('conv1', 'Conv2D', [null, 4, 4, 3], [null, 4, 4, 16], [3], [8, 16], [[1, 2]]),
      handMadeLayer('conv2', 'Conv2D', [null, 4, 4, 16], [null, 4, 4, 24], [8, 16], [12, 24], [[0.5, 1], [1, 2]]),
      handMadeLayer('pool', 'GlobalAveragePooling2D', [null, 4, 4, 24], [null, 24], [24], [24], [[0]]),
      handMadeLayer('fc', 'Dense', [null, 24], [null, 2], [24], [2], [[0]]),
    ];
    const table = handMadeTable(graphFingerprint(analysis.graph), layers, 4, 1);
    const half = calibrationWidths(analysis, 1);
    // At half widths: conv1 at 8: 1; conv2 at (8, 12): 0.5; + 1 overhead = 2.5 ms, 50% of 5.
    expect(predictedMs(analysis, table, half)).toBeCloseTo(2.5, 12);
    // Measured at 40% instead: k = 5 (1 - 0.4) / (4 - 1.5) = 1.2; overhead 5 - 1.2 x 4 = 0.2.
    const { layerScale } = layerScaleFor(5, 4, 1.5, 0.4)!;
    const scaled = scaledTable(table, layerScale, { structure: 'half', pairs: 3, measuredShare: 0.4, uncalibratedShare: 0.5, layerScale, applied: true });
    expect(scaled.layers[1].medianMs).toEqual([[0.5 * 1.2, 1 * 1.2], [1 * 1.2, 2 * 1.2]]);
    expect(scaled.whole).toEqual(table.whole);
    expect(scaled.layersMs).toBeCloseTo(4.8, 12);
    expect(scaled.overheadMs).toBeCloseTo(0.2, 12);
    // The table now predicts both points: the seed's 5 ms and 40% of it at half widths (0.2 + 1.2 x 1.5 = 2).
    expect(predictedMs(analysis, scaled, analysis.groups.map((g) => g.width))).toBeCloseTo(5, 12);
    expect(predictedMs(analysis, scaled, half)).toBeCloseTo(2, 12);
  });

  it('calibrateTable: times the calibration structure against the seed and records it; applied, the table predicts it; leaks no tensors', async () => {
    const seed = model();
    const analysis = analyzeChannels(buildLayerGraph(seed));
    const protocol = { warmup: 1, warmupMs: 0, repeats: 3, minSampleMs: 0 };
    const table = await measureLatencyTable(seed, analysis, { modelName: 'two-convs', backend: 'cpu', batch: 1, widthSamples: 3, protocol, calibration: false, warmup: { minMs: 0, maxMs: 0, chunkMs: 0, settledChunks: 0 } });
    const before = tf.memory().numTensors;
    const calibrated = await calibrateTable(table, seed, analysis, { warmup: 1, warmupMs: 0, pairs: 5, minSampleMs: 1 });
    expect(tf.memory().numTensors).toBe(before);
    const c = calibrated.calibration!;
    expect(c).toMatchObject({ structure: 'every prunable group at 50% of its width', pairs: 5 });
    expect(c.measuredShare).toBeGreaterThan(0);
    expect(c.uncalibratedShare).toBeCloseTo(predictedMs(analysis, table, calibrationWidths(analysis, 1)) / table.whole.medianMs, 12);
    expect(calibrated.whole).toEqual(table.whole);
    // A tiny model on the cpu backend may give a factor out of range, which leaves the table as measured.
    if (c.applied) {
      expect(predictedMs(analysis, calibrated, calibrationWidths(analysis, 1)) / calibrated.whole.medianMs).toBeCloseTo(c.measuredShare, 9);
    } else {
      expect(c.layerScale).toBe(1);
      expect(calibrated.layers).toEqual(table.layers);
    }
    expect(predictedMs(analysis, calibrated, analysis.groups.map((g) => g.width))).toBeCloseTo(table.whole.medianMs, 9);
  });
});

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend/select.js';
import { graphFingerprint } from '../cost/graph-fingerprint.js';
import { pointwiseConvNet } from '../cost/latency-table-fixtures.js';
import { analyzeChannels } from '../graph/channel-groups.js';
import { buildLayerGraph } from '../graph/build-graph.js';
import { atReferenceSpeed, measureLatencyTable } from './measure-model.js';

beforeAll(async () => {
  await initBackend('cpu');
});

/** Tests of the table's shape, not its figures: no warm-up until steady. */
const NO_STEADY_WARMUP = { minMs: 0, maxMs: 0, chunkMs: 0, settledChunks: 0 };

/**
 *   input[6,6,3] -> conv: Conv2D 4 3x3 same -> bn -> dw: DepthwiseConv2D 3x3 same -> pool: GAP -> fc: Dense 2
 * One prunable group of 4 channels (conv, bn, dw, pool, fc's inputs); the image and fc's outputs are fixed.
 */
function tiny(): tf.LayersModel {
  const x = tf.input({ shape: [6, 6, 3], name: 'input' });
  let h = tf.layers.conv2d({ name: 'conv', filters: 4, kernelSize: 3, padding: 'same' }).apply(x) as tf.SymbolicTensor;
  h = tf.layers.batchNormalization({ name: 'bn' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.depthwiseConv2d({ name: 'dw', kernelSize: 3, padding: 'same' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: x, outputs: tf.layers.dense({ name: 'fc', units: 2 }).apply(h) as tf.SymbolicTensor });
}

describe('measureLatencyTable', () => {
  it('samples each layer on the axes whose widths can change, and leaks no tensors', async () => {
    const model = tiny();
    const analysis = analyzeChannels(buildLayerGraph(model));
    const before = tf.memory().numTensors;
    const table = await measureLatencyTable(model, analysis, { modelName: 'tiny', backend: 'cpu', batch: 1, widthSamples: 3, protocol: { warmup: 1, warmupMs: 0, repeats: 1, minSampleMs: 0 }, calibration: false, warmup: NO_STEADY_WARMUP });
    expect(tf.memory().numTensors).toBe(before);
    const axes = Object.fromEntries(table.layers.map((l) => [l.name, [l.inputWidths, l.outputWidths]]));
    // 3 samples of 4 channels: 50%, 100%, 150% -> 2, 4, 6. The image (3) and fc's outputs (2) are fixed;
    // dw's outputs follow its inputs; bn and pool are timed along their outputs.
    expect(axes).toEqual({
      conv: [[3], [2, 4, 6]],
      bn: [[4], [2, 4, 6]],
      dw: [[2, 4, 6], [4]],
      pool: [[4], [2, 4, 6]],
      fc: [[2, 4, 6], [2]],
    });
    for (const layer of table.layers) expect(layer.medianMs.map((row) => row.length)).toEqual(layer.inputWidths.map(() => layer.outputWidths.length));
    expect(table.fingerprint).toBe(graphFingerprint(analysis.graph));
    expect(table.overheadMs).toBeCloseTo(table.whole.medianMs - table.layersMs, 12);
    expect({ backend: table.backend, batch: table.batch, model: table.model }).toEqual({ backend: 'cpu', batch: 1, model: 'tiny' });
  });

  it('scales a layer timed while the machine ran slow to the reference speed', () => {
    // The whole model's reference timings: median 4 ms; around this layer 5 and 6 ms, mean 5.5: factor 4 / 5.5.
    const points = [{ inWidth: 8, outWidth: 16, timing: { medianMs: 1.1, iqrMs: 0.22 } }];
    const [scaled] = atReferenceSpeed(points, 4 / 5.5);
    // 1.1 x 4 / 5.5 = 0.8; 0.22 x 4 / 5.5 = 0.16
    expect(scaled.timing.medianMs).toBeCloseTo(0.8, 12);
    expect(scaled.timing.iqrMs).toBeCloseTo(0.16, 12);
    expect([scaled.inWidth, scaled.outWidth]).toEqual([8, 16]);
  });

  it("on wasm, a convolution's axes are also sampled in each kernel-path class they can reach, and the table names the rules", async () => {
    // conv1: 16 1x1 filters on the image; conv2: 16 1x1 filters on conv1's; timed on cpu, labelled wasm (the label picks the rules).
    const model = pointwiseConvNet([4, 4, 3], [{ name: 'conv1', filters: 16 }, { name: 'conv2', filters: 16 }]);
    const analysis = analyzeChannels(buildLayerGraph(model));
    const table = await measureLatencyTable(model, analysis, { modelName: 'two-convs', backend: 'wasm', batch: 1, widthSamples: 3, protocol: { warmup: 1, warmupMs: 0, repeats: 1, minSampleMs: 0 }, calibration: false, warmup: NO_STEADY_WARMUP });
    const layers = Object.fromEntries(table.layers.map((l) => [l.name, { inputWidths: l.inputWidths, outputWidths: l.outputWidths, widthRules: l.widthRules }]));
    // 3 samples of 16: 8, 16, 24, all whole tiles of 8. conv1 reduces the image's 3 channels: every result
    // width runs XNNPACK, one class, nothing added. conv2: results unaligned below 32 (XNNPACK): nearest to
    // 8, 16, 24 are 7, 15, 23 -> the middle, 15; reductions below 8 (XNNPACK): 7.
    expect(layers.conv1).toEqual({ inputWidths: [3], outputWidths: [8, 16, 24], widthRules: { output: 'conv-result' } });
    expect(layers.conv2).toEqual({ inputWidths: [7, 8, 16, 24], outputWidths: [8, 15, 16, 24], widthRules: { input: 'conv-reduction', output: 'conv-result' } });
    expect(layers.fc).toEqual({ inputWidths: [8, 16, 24], outputWidths: [2], widthRules: undefined });
    model.dispose();
  });
});

import * as tf from '@tensorflow/tfjs';
import { buildLayerGraph } from '../graph/build-graph.js';
import { graphFingerprint } from './graph-fingerprint.js';
import type { TableHardware } from './hardware.js';
import { LATENCY_TABLE_FORMAT, type LatencyTable, type LatencyTableLayer } from './latency-table.js';

/** A layer of a hand-made latency table: the given medians, no spread; `widthRules` as the wasm kernels' (kernel-paths.ts), or none. */
export const handMadeLayer = (
  name: string,
  className: string,
  inputShape: Array<number | null>,
  outputShape: Array<number | null>,
  inputWidths: number[],
  outputWidths: number[],
  medianMs: number[][],
  widthRules?: LatencyTableLayer['widthRules'],
): LatencyTableLayer => ({
  name,
  className,
  inputShapes: [inputShape],
  outputShape,
  inputWidths,
  outputWidths,
  medianMs,
  iqrMs: medianMs.map((row) => row.map(() => 0)),
  ...(widthRules ? { widthRules } : {}),
});

/**
 * A hand-made table for tests (wasm, 2 threads, batch 1) of the graph with this fingerprint:
 * the whole model takes its layers' seed times (`layersMs`) plus `overheadMs`.
 */
export function handMadeTable(fingerprint: string, layers: LatencyTableLayer[], layersMs: number, overheadMs: number): LatencyTable {
  return {
    format: LATENCY_TABLE_FORMAT,
    model: 'tiny',
    fingerprint,
    backend: 'wasm',
    threads: 2,
    batch: 1,
    tfjsVersion: tf.version.tfjs,
    measuredAt: '2026-01-01T00:00:00.000Z',
    protocol: { warmup: 1, repeats: 1, statistic: 'hand-made', interpolation: 'bilinear' },
    whole: { medianMs: layersMs + overheadMs, iqrMs: 0 },
    layersMs,
    overheadMs,
    layers,
  };
}

/**
 *   input[inputShape] -> each of `convs` in turn: Conv2D 1x1 -> pool: GlobalAveragePooling2D -> fc: Dense 2
 * One prunable group per conv (its channels; the last one's are pool's too, and fc's inputs).
 */
export function pointwiseConvNet(inputShape: number[], convs: Array<{ name: string; filters: number }>): tf.LayersModel {
  const x = tf.input({ shape: inputShape, name: 'input' });
  const h = convs.reduce((input, conv) => tf.layers.conv2d({ name: conv.name, filters: conv.filters, kernelSize: 1 }).apply(input) as tf.SymbolicTensor, x);
  const pool = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: x, outputs: tf.layers.dense({ name: 'fc', units: 2 }).apply(pool) as tf.SymbolicTensor });
}

/** input[8,8,8] -> conv: Conv2D 40 1x1 -> pool -> fc: Dense 2. One prunable group: conv's 40 channels. */
export const classJumpModel = (): tf.LayersModel => pointwiseConvNet([8, 8, 8], [{ name: 'conv', filters: 40 }]);

/**
 * A table of classJumpModel where 31 channels cost more than 32, as on wasm: conv's result
 * channels by the kernels' width rules (its reduction, the image's 8 channels, suits
 * convolution.wat), sampled at 20 and 31 (XNNPACK: 2.0 and 3.1 ms, 0.1 ms a channel: 0.1 * w)
 * and at 32 and 40 (convolution.wat's whole tiles: 1.6 and 2.0 ms, 0.05 ms a channel:
 * 1.6 + 0.05 * (w - 32), extended below 32 the same way; 24 costs 1.2). Padded widths 33..39 run
 * as 40 (2.0 ms). pool 0.1 ms and fc 0.2 ms at any width (one sample), overhead 0.2 ms: the model
 * takes conv's time + 0.5 ms.
 */
export function classJumpTable(model: tf.LayersModel): TableHardware {
  const layers = [
    handMadeLayer('conv', 'Conv2D', [null, 8, 8, 8], [null, 8, 8, 40], [8], [20, 31, 32, 40], [[2.0, 3.1, 1.6, 2.0]], { input: 'conv-reduction', output: 'conv-result' }),
    handMadeLayer('pool', 'GlobalAveragePooling2D', [null, 8, 8, 40], [null, 40], [40], [40], [[0.1]]),
    handMadeLayer('fc', 'Dense', [null, 40], [null, 2], [40], [2], [[0.2]]),
  ];
  return { name: 'class-jump', path: '(hand-made)', table: handMadeTable(graphFingerprint(buildLayerGraph(model)), layers, 2.0 + 0.1 + 0.2, 0.2) };
}

import * as tf from '@tensorflow/tfjs';
import { LATENCY_TABLE_FORMAT, type LatencyTable, type LatencyTableLayer } from './latency-table.js';

/** A layer of a hand-made latency table: the given medians, no spread. */
export const handMadeLayer = (
  name: string,
  className: string,
  inputShape: Array<number | null>,
  outputShape: Array<number | null>,
  inputWidths: number[],
  outputWidths: number[],
  medianMs: number[][],
): LatencyTableLayer => ({
  name,
  className,
  inputShapes: [inputShape],
  outputShape,
  inputWidths,
  outputWidths,
  medianMs,
  iqrMs: medianMs.map((row) => row.map(() => 0)),
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

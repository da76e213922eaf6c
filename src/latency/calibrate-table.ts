import type * as tf from '@tensorflow/tfjs';
import { WASM_TABLE_ROUND_TO } from '../backend/wasm-kernels/kernel-paths.js';
import type { LatencyTable, TableCalibration } from '../cost/latency-table.js';
import type { ChannelAnalysis } from '../graph/channel-groups.js';
import { StructureCosting } from '../structure/cost-of.js';
import { nearestMultiple } from '../structure/round-widths.js';
import type { GroupWidths } from '../structure/width-multiplier.js';
import { measuredShareOfSeed } from './share-of-seed.js';
import type { PairedProtocol } from './timing.js';

/** The calibration structure's widths: this share of each prunable group's. */
export const CALIBRATION_FRACTION = 0.5;

/** A layer scale outside this range says the calibration measured something else than the layers' speed (noise on a model of microseconds): the table is left as measured. */
export const LAYER_SCALE_RANGE = [0.5, 2] as const;

/** Every prunable group at CALIBRATION_FRACTION of its width, in multiples of `roundTo` (as expand would build it) within the seed's width. */
export function calibrationWidths(analysis: ChannelAnalysis, roundTo: number): GroupWidths {
  return analysis.groups.map((group) => (group.fixed ? group.width : nearestMultiple(Math.max(1, Math.round(group.width * CALIBRATION_FRACTION)), roundTo, group.width)));
}

/**
 * The layer scale and overhead that put a table on two measured points: the seed (its whole
 * time W, its layers summing to L) and the calibration structure (measured at a share R of the
 * seed's time, its layers summing to Lc by the table). Solving W = a + k L and R W = a + k Lc:
 * k = W (1 - R) / (L - Lc), a = W - k L. Undefined where the layers do not shrink (L <= Lc).
 */
export function layerScaleFor(wholeMs: number, layersMs: number, calibrationLayersMs: number, measuredShare: number): { layerScale: number; overheadMs: number } | undefined {
  if (layersMs <= calibrationLayersMs) return undefined;
  const layerScale = (wholeMs * (1 - measuredShare)) / (layersMs - calibrationLayersMs);
  return { layerScale, overheadMs: wholeMs - layerScale * layersMs };
}

/** The table with every layer's times multiplied by `layerScale` and the overhead made up to the whole model's time. */
export function scaledTable(table: LatencyTable, layerScale: number, calibration: TableCalibration): LatencyTable {
  const layersMs = table.layersMs * layerScale;
  return {
    ...table,
    layers: table.layers.map((layer) => ({
      ...layer,
      medianMs: layer.medianMs.map((row) => row.map((ms) => ms * layerScale)),
      iqrMs: layer.iqrMs.map((row) => row.map((ms) => ms * layerScale)),
    })),
    layersMs,
    overheadMs: table.whole.medianMs - layersMs,
    calibration,
  };
}

/**
 * Calibrates a measured table on the whole model. Layers timed alone do not add up to the model:
 * in it they run slower or faster than alone (caches, the wasm heap), and what the table calls
 * overhead (the whole minus its layers) is not fixed but shrinks with the widths. Measured here
 * (`npm run bench -- latency`, every prunable group at 50% and rounded to 8): the tables
 * predicted 55.6% of the seed's time for zoo:cnn against 43.7% measured, 62.1% against 54.7% for
 * zoo:resnet20, 61.0% against 61.7% for MobileNetV2-0.35. So the table is put on a second whole
 * model, besides the seed: the calibration structure (`calibrationWidths`), rebuilt and timed in
 * pairs with the seed; every layer's time is scaled by one factor (`layerScaleFor`) so the
 * table predicts both exactly. That brought the other rounded structures of those runs within
 * 6% of their measured share, from up to 37% (cnn), 8% (resnet20) and 7% (MobileNetV2).
 */
export async function calibrateTable(table: LatencyTable, seed: tf.LayersModel, analysis: ChannelAnalysis, paired: PairedProtocol): Promise<LatencyTable> {
  const roundTo = table.backend === 'wasm' ? WASM_TABLE_ROUND_TO : 1;
  const widths = calibrationWidths(analysis, roundTo);
  const measuredShare = await measuredShareOfSeed(seed, analysis, widths, table.batch, paired);
  const predictedMs = new StructureCosting(analysis, { hardware: { name: 'calibration', path: '(being measured)', table }, batchSize: table.batch }).resource('latency', widths);
  const fit = layerScaleFor(table.whole.medianMs, table.layersMs, predictedMs - table.overheadMs, measuredShare);
  const structure = `every prunable group at ${100 * CALIBRATION_FRACTION}% of its width${roundTo > 1 ? `, in multiples of ${roundTo}` : ''}`;
  const record = { structure, pairs: paired.pairs, measuredShare, uncalibratedShare: predictedMs / table.whole.medianMs };
  const inRange = fit !== undefined && fit.layerScale >= LAYER_SCALE_RANGE[0] && fit.layerScale <= LAYER_SCALE_RANGE[1];
  if (!inRange) return { ...table, calibration: { ...record, layerScale: 1, applied: false } };
  return scaledTable(table, fit.layerScale, { ...record, layerScale: fit.layerScale, applied: true });
}

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend/select.js';
import { graphFingerprint } from '../cost/graph-fingerprint.js';
import type { LatencyTable, LatencyTableLayer } from '../cost/latency-table.js';
import { handMadeLayer, handMadeTable } from '../cost/latency-table-fixtures.js';
import { analyzeChannels, type ChannelAnalysis } from '../graph/channel-groups.js';
import { buildLayerGraph } from '../graph/build-graph.js';
import { seedStructure, widthsOf } from '../structure/structure.js';
import { tablePredictor, tablesForBackend } from './table-prediction.js';

beforeAll(async () => {
  await initBackend('cpu');
});

/** input[5] -> fc1: Dense 8 -> fc2: Dense 3; fc1's 8 units are the one prunable group. */
function tinyAnalysis(): ChannelAnalysis {
  const x = tf.input({ shape: [5], name: 'input' });
  const h = tf.layers.dense({ name: 'fc1', units: 8 }).apply(x) as tf.SymbolicTensor;
  return analyzeChannels(buildLayerGraph(tf.model({ inputs: x, outputs: tf.layers.dense({ name: 'fc2', units: 3 }).apply(h) as tf.SymbolicTensor })));
}

/** A Dense layer of the hand-made table, seeded at seedIn inputs and seedOut units. */
const layer = (name: string, inputWidths: number[], outputWidths: number[], medianMs: number[][], seedIn: number, seedOut: number): LatencyTableLayer =>
  handMadeLayer(name, 'Dense', [null, seedIn], [null, seedOut], inputWidths, outputWidths, medianMs);

/**
 * A hand-made table: fc1 takes 1 ms at 4 units and 2 ms at 8; fc2 0.5 ms on 4 inputs and 1 ms
 * on 8; 0.25 ms overhead.
 */
function table(analysis: ChannelAnalysis, patch: Partial<LatencyTable>): LatencyTable {
  const layers = [layer('fc1', [5], [4, 8], [[1, 2]], 5, 8), layer('fc2', [4, 8], [3], [[0.5], [1]], 8, 3)];
  return { ...handMadeTable(graphFingerprint(analysis.graph), layers, 3, 0.25), ...patch };
}

function writeTables(analysis: ChannelAnalysis): Record<string, { table: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'morphnet-tables-'));
  const tables: Record<string, Partial<LatencyTable>> = {
    'wasm-2t-b1': {},
    'wasm-2t-b16': { batch: 16, overheadMs: 1 },
    'wasm-1t': { threads: 1 },
    'tf-b1': { backend: 'tensorflow', threads: undefined },
    // fc2 missing: a table of another model.
    'other-model': { layers: [layer('fc1', [5], [4, 8], [[1, 2]], 5, 8)] },
  };
  const entries: Record<string, { table: string }> = { missing: { table: join(dir, 'missing.json') } };
  for (const [name, patch] of Object.entries(tables)) {
    const path = join(dir, `${name}.json`);
    writeFileSync(path, JSON.stringify(table(analysis, patch)));
    entries[name] = { table: path };
  }
  return entries;
}

describe('table predictions of measured inference', () => {
  it('only tables measured on the same backend and threads; a roofline or an unreadable table predicts nothing', () => {
    const analysis = tinyAnalysis();
    const hardware = { ...writeTables(analysis), T4x: { peakGflops: 1, bandwidthGBps: 1 } };
    expect(tablesForBackend(hardware, 'wasm', 2).map((h) => h.name)).toEqual(['wasm-2t-b1', 'wasm-2t-b16', 'other-model']);
    expect(tablesForBackend(hardware, 'tensorflow', undefined).map((h) => h.name)).toEqual(['tf-b1']);
    expect(tablesForBackend(hardware, 'cpu', undefined)).toEqual([]);
  });

  it('the whole model: each layer interpolated at its widths, plus the overhead; the table at the asked batch', () => {
    const analysis = tinyAnalysis();
    const hardware = writeTables(analysis);
    const tables = tablesForBackend(hardware, 'wasm', 2);
    const seed = widthsOf(seedStructure(analysis));
    // Seed: fc1 at 8 units 2 ms + fc2 on 8 inputs 1 ms + 0.25 = 3.25 ms.
    expect(tablePredictor(tables, analysis, seed)(1)).toEqual({ hardware: 'wasm-2t-b1', table: hardware['wasm-2t-b1'].table, ms: 3.25, ofSeed: 1 });
    // At batch 16 the other table: same layers, overhead 1: 2 + 1 + 1 = 4 ms.
    expect(tablePredictor(tables, analysis, seed)(16)?.ms).toBe(4);
    // fc1 at 6 units: 1 + (6 - 4) / 4 * (2 - 1) = 1.5; fc2 on 6 inputs: 0.5 + 0.5 * 0.5 = 0.75; + 0.25 = 2.5 ms.
    const fc1 = analysis.groups.findIndex((g) => g.sources.includes('fc1'));
    const narrower = seed.map((w, g) => (g === fc1 ? 6 : w));
    expect(tablePredictor(tables, analysis, narrower)(1)?.ms).toBeCloseTo(2.5, 12);
    // Its share of the seed's prediction by the same table: 2.5 / 3.25.
    expect(tablePredictor(tables, analysis, narrower)(1)?.ofSeed).toBeCloseTo(2.5 / 3.25, 12);
    // No table at batch 64; and a table lacking a layer of the model (other-model) is passed over.
    expect(tablePredictor(tables, analysis, seed)(64)).toBeUndefined();
    expect(tablePredictor(tables.filter((h) => h.name === 'other-model'), analysis, seed)(1)).toBeUndefined();
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend/select.js';
import type { MorphnetError } from '../errors.js';
import { analyzeChannels } from '../graph/channel-groups.js';
import { buildLayerGraph } from '../graph/build-graph.js';
import { CostModel } from './cost-model.js';
import { graphFingerprint } from './graph-fingerprint.js';
import { hardwareReference, resolveHardware } from './hardware.js';
import type { LatencyTable } from './latency-table.js';
import { handMadeLayer, handMadeTable } from './latency-table-fixtures.js';

beforeAll(async () => {
  await initBackend('cpu');
});

/**
 *   input[8,8,3] -> conv: Conv2D 4 3x3 same -> pool: GlobalAveragePooling2D -> fc: Dense 2
 * One prunable group: conv's 4 channels, also pool's outputs and fc's inputs.
 */
function tiny(): tf.LayersModel {
  const x = tf.input({ shape: [8, 8, 3], name: 'input' });
  const conv = tf.layers.conv2d({ name: 'conv', filters: 4, kernelSize: 3, padding: 'same' }).apply(x) as tf.SymbolicTensor;
  const pool = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(conv) as tf.SymbolicTensor;
  return tf.model({ inputs: x, outputs: tf.layers.dense({ name: 'fc', units: 2 }).apply(pool) as tf.SymbolicTensor });
}

/** A hand-made table: conv 1 / 2 / 3.5 ms at 2 / 4 / 6 outputs; pool 0.1 / 0.2 ms at 2 / 4; fc 0.3 / 0.5 ms at 2 / 4 inputs; 0.25 ms overhead. */
function tinyTable(model: tf.LayersModel): LatencyTable {
  return handMadeTable(
    graphFingerprint(buildLayerGraph(model)),
    [
      handMadeLayer('conv', 'Conv2D', [null, 8, 8, 3], [null, 8, 8, 4], [3], [2, 4, 6], [[1, 2, 3.5]]),
      handMadeLayer('pool', 'GlobalAveragePooling2D', [null, 8, 8, 4], [null, 4], [4], [2, 4], [[0.1, 0.2]]),
      handMadeLayer('fc', 'Dense', [null, 4], [null, 2], [2, 4], [2], [[0.3], [0.5]]),
    ],
    2.7,
    0.25,
  );
}

function writeTable(table: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'latency-table-')), 'table.json');
  writeFileSync(path, JSON.stringify(table));
  return path;
}

function setup() {
  const model = tiny();
  const analysis = analyzeChannels(buildLayerGraph(model));
  const hardware = resolveHardware('wasm-2t', { 'wasm-2t': { table: writeTable(tinyTable(model)), backend: 'wasm', threads: 2 } });
  const group = analysis.groups.find((g) => g.sources.includes('conv'))!;
  return { model, analysis, hardware, group, costModel: new CostModel(analysis) };
}

const exitCodeOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return { code: (error as MorphnetError).exitCode, message: (error as Error).message };
  }
  return undefined;
};

describe('latency from a measured table', () => {
  it('sums the interpolated layers and the overhead', () => {
    const { costModel, hardware, group } = setup();
    // Seed widths: conv 2 + pool 0.2 + fc 0.5 + overhead 0.25.
    expect(costModel.resource('latency', costModel.allAlive(), { hardware })).toBeCloseTo(2 + 0.2 + 0.5 + 0.25, 12);
    const alive = costModel.allAlive();
    alive[group.components[0]] = 0;
    // 3 channels: conv halfway 2..4 -> 1.5, pool 0.15, fc 0.4; plus 0.25.
    expect(costModel.resource('latency', alive, { hardware })).toBeCloseTo(1.5 + 0.15 + 0.4 + 0.25, 12);
    // evaluate() agrees: per-layer figures and the total with the overhead once.
    const { layers, totals } = costModel.evaluate(alive, { hardware });
    expect(layers.find((l) => l.name === 'conv')!.latency).toBeCloseTo(1.5, 12);
    expect(totals.latency).toBeCloseTo(2.3, 12);
  });

  it('the regularizer weights are the table slopes at the current widths', () => {
    const { costModel, hardware, group, analysis } = setup();
    const weights = costModel.regularizationWeights('latency', costModel.allAlive(), { hardware });
    // A conv channel at width 4: conv t(4) - t(3) = 2 - 1.5; pool 0.2 - 0.15; fc (its input) 0.5 - 0.4.
    for (const c of group.components) expect(weights[c]).toBeCloseTo(0.5 + 0.05 + 0.1, 12);
    // Fixed channels (the image's, fc's outputs) are not regularized.
    const fixed = [...weights.keys()].filter((c) => analysis.componentFixed[c]);
    expect(fixed.length).toBeGreaterThan(0);
    for (const c of fixed) expect(weights[c]).toBe(0);
  });

  it('a table of another model is exit 2, naming the layer and the fix', () => {
    const { hardware } = setup();
    const x = tf.input({ shape: [16, 16, 3] });
    const other = tf.model({ inputs: x, outputs: tf.layers.conv2d({ name: 'conv', filters: 4, kernelSize: 3 }).apply(x) as tf.SymbolicTensor });
    const costModel = new CostModel(analyzeChannels(buildLayerGraph(other)));
    const error = exitCodeOf(() => costModel.resource('latency', costModel.allAlive(), { hardware }));
    expect(error?.code).toBe(2);
    expect(error?.message).toContain('layer "conv" (Conv2D on 16x16): it has Conv2D on 8x8 there');
  });

  it('a missing table, or one measured on another backend, is exit 2 naming it', () => {
    const model = tiny();
    const missing = exitCodeOf(() => resolveHardware('wasm-2t', { 'wasm-2t': { table: '/nonexistent/wasm-2t.json' } }));
    expect(missing).toEqual({ code: 2, message: 'hardware wasm-2t: cannot read latency table /nonexistent/wasm-2t.json (ENOENT)' });
    const path = writeTable(tinyTable(model));
    const otherBackend = exitCodeOf(() => resolveHardware('tf', { tf: { table: path, backend: 'tensorflow' } }));
    expect(otherBackend).toEqual({ code: 2, message: `hardware tf: latency table ${path} was measured for tiny on wasm, not what the config asks: backend tensorflow (the table: "wasm")` });
  });

  it('a table of format 1 (sampled without width classes) is exit 2 with the command that measures it again', () => {
    const path = writeTable({ ...tinyTable(tiny()), format: 'morphnet.latency/1' });
    let error: MorphnetError | undefined;
    try {
      resolveHardware('wasm-2t', { 'wasm-2t': { table: path } });
    } catch (caught) {
      error = caught as MorphnetError;
    }
    expect(error?.exitCode).toBe(2);
    expect(error?.message).toBe(
      `hardware wasm-2t: latency table ${path} has format "morphnet.latency/1", sampled without the kernels' width classes (a width off the kernels' tiles was priced as if on them); this morphnet reads "morphnet.latency/2"`,
    );
    expect(error?.hint).toBe(`measure it again: morphnet latency -m tiny --backend wasm --threads 2 --batch 1 -o ${path}`);
  });

  it('hardwareReference: a config name or a built-in as it is, a table file by its absolute path (found again from any working directory)', () => {
    expect(hardwareReference('wasm-2t', { 'wasm-2t': { table: 'latency/wasm-2t.json' } })).toBe('wasm-2t');
    expect(hardwareReference('T4')).toBe('T4');
    expect(hardwareReference('latency/wasm-2t.json')).toBe(join(process.cwd(), 'latency/wasm-2t.json'));
    expect(hardwareReference('/tables/wasm-2t.json')).toBe('/tables/wasm-2t.json');
  });
});

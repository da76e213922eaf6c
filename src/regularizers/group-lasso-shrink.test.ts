import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { shrinkStage } from '../stages/shrink.js';

// A stage-level check of the group-lasso scores (this folder's subject), run in-process as
// src/stages/shrink.test.ts does; test files are outside the layering rule.
const MLP = join(import.meta.dirname, '../../../shared/models/keras-mlp-mnist/model.json');
const tempDir = () => mkdtempSync(join(tmpdir(), 'morphnet-group-lasso-'));

/** The shared Keras MLP (Flatten, dense_19 128, dense_20 128, dense_21 10 softmax; no BN) on 2,000 digits. */
function shrinkMlp(shrink: Record<string, unknown>, runDir = tempDir()) {
  return shrinkStage({
    overrides: { backend: 'wasm', seed: 1, model: { path: MLP }, data: { dataset: 'mnist', limit: 2000 }, shrink: { regularizer: 'group-lasso', ...shrink } },
    runDir,
    toolVersion: 'test',
  });
}

describe('group-lasso on the shared Keras MLP', () => {
  it('has a strength that removes part of dense_19, not none and not all', async () => {
    // Scores are in units of each layer's seed scale, so the threshold 0.01 is 1% of a typical
    // seed channel. Before the task resists, a dense_19 score falls by lr / (1 - momentum) * lambda *
    // w / (n * s^2) per step: w = 2*784 + 2*128 = 1824 (its FLOPs weight), n = 784 inputs, s = 0.107
    // (the seed's mean sqrt(mean(w_j^2))), so 0.1 * lambda * 1824 / (784 * 0.107^2) = 20 * lambda.
    // It reaches 0 in the 200 steps at lambda = 1 / (200 * 20) = 2.5e-4; at 3e-4 the task holds
    // about half of the channels (63 of 128 with seed 1), dense_20 (weight 276) keeps them all.
    const result = await shrinkMlp({ steps: 200, strength: 3e-4 });
    const dense19 = result.structure.widths.dense_19;
    expect(dense19).toBeGreaterThanOrEqual(0.25 * 128);
    expect(dense19).toBeLessThanOrEqual(0.75 * 128);
    expect(result.structure.widths.dense_21).toBe(10);
  });

  it('a layer that empties stops the run with an error naming that layer, not the output', async () => {
    // At 3e-3 the pull is 10x the one above; a whole hidden layer dies by step 100, where the
    // structure is exported and cannot be rebuilt.
    const runDir = tempDir();
    const error = await shrinkMlp({ steps: 100, exportEvery: 25, strength: 3e-3 }, runDir).catch((e) => e);
    // The emptied layer, read independently: the group with 0 alive channels in the last metrics
    // line, named by the structure exported at step 75.
    const lines = readFileSync(join(runDir, 'shrink/metrics.jsonl'), 'utf8').trim().split('\n');
    const alive = JSON.parse(lines[lines.length - 1]).alive as Record<string, number>;
    const groups = JSON.parse(readFileSync(join(runDir, 'shrink/structures/alive-000075.json'), 'utf8')).groups as Array<{ id: number; layers: string[] }>;
    const emptied = Object.entries(alive)
      .filter(([, count]) => count === 0)
      .map(([id]) => groups.find((g) => g.id === Number(id))!.layers[0]);
    expect(emptied).toHaveLength(1);
    expect(error.message).toBe(`the structure removes the model output "dense_21": "${emptied[0]}" reached width 0 and every path to the output goes through it`);
    expect(error.hint).toContain(`so that "${emptied[0]}" keeps at least one channel`);
  });
});

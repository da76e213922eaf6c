import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/select.js';
import { loadModel } from '../../src/model/load.js';
import { hasStackTrace, runCli, runCliAsync, SHARED_MODELS, tempDir } from './cli.js';

/** The shared Keras 2.15 MLP, shrunk, expanded and retrained for a few steps on synthetic digits. */
const config = `
model: {path: ${JSON.stringify(join(SHARED_MODELS, 'keras-mlp-mnist/model.h5'))}}
data: {dataset: synthetic, samples: 128, batchSize: 32}
backend: wasm
shrink: {regularizer: group-lasso, steps: 4, strength: 0.02}
expand: {multiplier: 1}
retrain: {steps: 4}
`;

async function predictions(path: string, x: tf.Tensor): Promise<number[]> {
  const model = await loadModel({ path });
  return Array.from((model.predict(x) as tf.Tensor).dataSync());
}

describe('morphnet export: a run from a Keras .h5 seed back to Keras files', () => {
  const dir = tempDir();
  const runDir = join(dir, 'run');

  beforeAll(async () => {
    await initBackend('wasm');
    writeFileSync(join(dir, 'mlp.yaml'), config);
    const run = runCli(['run', join(dir, 'mlp.yaml'), '-r', runDir, '--json']);
    expect(run.code, run.stderr).toBe(0);
  });

  it('writes .keras, .h5 and tfjs files that predict as the retrained model does', async () => {
    const x = tf.randomUniform([4, 28, 28], 0, 1, 'float32', 11);
    const expected = await predictions(join(runDir, 'retrain/model/model.json'), x);
    const exports = [['keras', join(dir, 'out/model.keras')], ['h5', join(dir, 'out/model.h5')], ['tfjs', join(dir, 'out/tfjs')]];
    // Three exports to three paths, independent: they run side by side.
    const results = await Promise.all(exports.map(([format, output]) => runCliAsync(['export', '-r', runDir, '--format', format, '-o', output, '--json'])));
    for (const [i, [format, output]] of exports.entries()) {
      const result = results[i];
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ path: output, format, from: 'retrain' });
      expect(await predictions(format === 'tfjs' ? join(output, 'model.json') : output, x)).toEqual(expected);
    }
  });

  it('exports the pruned shrink result, by default under RUN_DIR/export/', async () => {
    const result = runCli(['export', '-r', runDir, '--from', 'pruned', '--format', 'h5']);
    expect(result.code, result.stderr).toBe(0);
    const path = join(runDir, 'export/pruned.h5');
    expect(result.stdout).toContain(`wrote ${path} (h5, the pruned model:`);
    const pruned = await loadModel({ path });
    // The pruned model has the widths of shrink/structure.json, layer by layer.
    const learned = JSON.parse(readFileSync(join(runDir, 'shrink/structure.json'), 'utf8')).widths;
    const units = Object.fromEntries(pruned.layers.filter((layer) => layer.getClassName() === 'Dense').map((layer) => [layer.name, layer.getConfig().units]));
    expect(units).toEqual(learned);
  });

  it('a wrong extension or a run without retrain is a usage error, with nothing written', () => {
    const wrong = runCli(['export', '-r', runDir, '--format', 'keras', '-o', join(dir, 'model.h5')]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/-o: a keras export must end in \.keras, received ".*model\.h5"/);
    expect(existsSync(join(dir, 'model.h5'))).toBe(false);
    const early = runCli(['export', '-r', join(dir, 'nothing-here')]);
    expect(early.code).toBe(2);
    expect(hasStackTrace(early.stderr)).toBe(false);
  });
});

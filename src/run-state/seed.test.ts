import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { activeBackend } from '../backend/select.js';
import { resolveConfig } from '../config/load.js';
import { registerFileRouters } from '../model/file-io.js';
import { saveModel } from '../model/load.js';
import { loadRunSeed } from './seed.js';

describe('loadRunSeed', () => {
  it('starts the config\'s backend even with no one listening for it', async () => {
    // tfjs itself, not the project's backend selection: the seed is made without initBackend.
    await tf.setBackend('cpu');
    // input 3 -> dense 2: one group of 2 channels.
    const input = tf.input({ shape: [3] });
    const model = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 2, name: 'out' }).apply(input) as tf.SymbolicTensor });
    const seedDir = join(mkdtempSync(join(tmpdir(), 'morphnet-seed-')), 'seed');
    registerFileRouters();
    await saveModel(model, seedDir);
    expect(activeBackend()).toBeUndefined();
    const config = resolveConfig({ model: { zoo: 'mlp' }, data: { dataset: 'synthetic' }, backend: 'cpu' });
    const seed = await loadRunSeed(seedDir, config);
    expect(activeBackend()?.name).toBe('cpu');
    expect(seed.analysis.groups.map((g) => g.width)).toContain(2);
    expect(seed.modelName).toBe('zoo:mlp');
  });
});

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/select.js';
import { buildLayerGraph } from '../../src/graph/build-graph.js';
import { analyzeChannels } from '../../src/graph/channel-groups.js';
import { registerFileRouters } from '../../src/model/file-io.js';
import { loadModel } from '../../src/model/load.js';
import { runPipeline } from '../../src/stages/run.js';
import { shrinkStage } from '../../src/stages/shrink.js';
import { findGatePoints, insertGates } from '../../src/surgery/insert-gates.js';
import { SHARED_MODELS, tempDir } from './cli.js';

/**
 * shrink.regularizer: gates on a model with BN (zoo:cnn) and one without (the shared Keras MLP):
 * a few steps with a strong lambda close gates, the alive count falls, and the retrained model,
 * initialised from the shrunk weights through the gates, holds no gate layer. (Measured with
 * these settings on MNIST: zoo:cnn width 0.25 at lambda 1e-4 went from 56 alive channels to
 * 1 + 1 + 32 by step 16, the MLP's first Dense from 128 to 1 by step 40 at lambda 0.001: gates
 * that start at one logit close together until the task loss tells them apart.)
 */
const MODELS = {
  'zoo:cnn': { model: '{zoo: cnn, options: {width: 0.25}}', strength: 1e-4 },
  'keras-mlp': { model: `{path: ${JSON.stringify(join(SHARED_MODELS, 'keras-mlp-mnist/model.json'))}}`, strength: 0.003 },
};

const config = (model: string, strength: number) => `
model: ${model}
data: {dataset: synthetic, samples: 128, batchSize: 32}
backend: wasm
shrink: {regularizer: gates, steps: 24, strength: ${strength}, optimizer: {name: momentum, learningRate: 0.05, momentum: 0.9}}
expand: {multiplier: 1}
retrain: {steps: 2, init: pruned}
`;

interface MetricsLine {
  step: number;
  alive?: Record<string, number>;
}

const aliveAt = (line: MetricsLine) => Object.values(line.alive!).reduce((a, b) => a + b, 0);

describe.each(Object.entries(MODELS))('shrink.regularizer: gates on %s', (_name, { model, strength }) => {
  const dir = tempDir('morphnet-gates-');
  const runDir = join(dir, 'run');

  beforeAll(async () => {
    await initBackend('wasm');
    writeFileSync(join(dir, 'gates.yaml'), config(model, strength));
    await runPipeline({ configPath: join(dir, 'gates.yaml'), runDir, toolVersion: 'test' });
  }, 600_000);

  it('closes gates: the alive channel count falls during shrink', () => {
    const lines = readFileSync(join(runDir, 'shrink/metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as MetricsLine);
    const steps = lines.filter((l) => l.alive !== undefined);
    expect(aliveAt(steps.at(-1)!)).toBeLessThan(aliveAt(steps[0]));
    const structure = JSON.parse(readFileSync(join(runDir, 'shrink/structure.json'), 'utf8'));
    expect(structure.groups.some((g: { width: number; original: number }) => g.width < g.original)).toBe(true);
    // Alive means open: probability above 0.5.
    expect(JSON.parse(readFileSync(join(runDir, 'shrink/result.json'), 'utf8')).threshold).toBe(0.5);
  });

  it('retrains and saves a model without gate layers, at the learned widths', () => {
    const structure = JSON.parse(readFileSync(join(runDir, 'shrink/structure.json'), 'utf8'));
    for (const folder of ['seed', 'retrain/model']) {
      const topology = JSON.stringify(JSON.parse(readFileSync(join(runDir, folder, 'model.json'), 'utf8')).modelTopology);
      expect(topology).not.toMatch(/MorphnetChannelGate|morphnet_gate/);
      expect(topology).toContain(Object.keys(structure.widths)[0]);
    }
    const retrained = JSON.parse(readFileSync(join(runDir, 'retrain/result.json'), 'utf8'));
    expect(retrained.widths).toEqual(structure.widths);
  });
});

describe('shrink.regularizer: gates resumed', () => {
  it('ends as an uninterrupted run does: the gates\' logits are checkpointed and their noise is drawn from (seed, step)', async () => {
    await initBackend('wasm');
    const overrides = {
      backend: 'wasm',
      model: { zoo: 'cnn', options: { width: 0.25 } },
      data: { dataset: 'synthetic', samples: 128, batchSize: 32 },
      shrink: { regularizer: 'gates', steps: 8, checkpointEvery: 4, strength: 1e-4, optimizer: { name: 'momentum', learningRate: 0.05, momentum: 0.9 } },
    };
    const whole = join(tempDir('morphnet-gates-'), 'run');
    await shrinkStage({ overrides, runDir: whole, toolVersion: 'test' });
    const resumed = join(tempDir('morphnet-gates-'), 'run');
    // Stopped after step 6: the checkpoint of step 4 is the latest.
    const stopAt6 = { step: (progress: { step: number }) => { if (progress.step === 6) throw new Error('stopped'); } };
    await expect(shrinkStage({ overrides, runDir: resumed, toolVersion: 'test' }, stopAt6)).rejects.toThrow('stopped');
    const result = await shrinkStage({ overrides, runDir: resumed, toolVersion: 'test' });
    expect(result.resumedAt).toBe(4);
    const stepLines = (runDir: string) => readFileSync(join(runDir, 'shrink/metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((l) => l.loss !== undefined);
    expect(stepLines(resumed)).toEqual(stepLines(whole));
    const structure = (runDir: string) => JSON.parse(readFileSync(join(runDir, 'shrink/structure.json'), 'utf8')).groups;
    expect(structure(resumed)).toEqual(structure(whole));
  }, 600_000);
});

describe('gates in a nested model with residual Adds and depthwise convolutions', () => {
  it('flatten the Teachable Machine MobileNetV2 into one gated model that predicts as the seed while every gate is open', async () => {
    await initBackend('wasm');
    registerFileRouters();
    const seed = await loadModel({ path: join(SHARED_MODELS, 'teachable-machine-mobilenetv2/model.json') });
    const analysis = analyzeChannels(buildLayerGraph(seed));
    const gated = insertGates(seed, analysis, 1);
    // One logit vector per gated group, and the seed's own weights.
    expect(gated.model.weights.length).toBe(seed.weights.length + gated.gates.length);
    expect(gated.gates.length).toBe(gated.search.regularized.length);
    // A residual group's gate goes after each of its producers (one shared layer): more points than gates.
    const points = [...findGatePoints(analysis).points.values()];
    expect(points.some((nodes) => nodes.length > 1)).toBe(true);
    const x = tf.randomUniform([1, 224, 224, 3], 0, 1, 'float32', 5);
    const expected = (seed.predict(x) as tf.Tensor).dataSync();
    const actual = (gated.model.predict(x) as tf.Tensor).dataSync();
    expect(Math.max(...Array.from(actual, (v, i) => Math.abs(v - expected[i])))).toBeLessThan(1e-5);
    gated.dispose();
  }, 600_000);
});

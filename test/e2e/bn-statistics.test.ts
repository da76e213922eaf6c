import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { saveModel } from '../../src/model/load.js';
import { registerFileRouters } from '../../src/model/file-io.js';
import { ROOT, runCli, tempDir } from './cli.js';

/**
 * A small CNN as a Keras user builds it, BN at tfjs's and Keras's default momentum 0.99:
 * conv 8 -> conv 16/2 -> conv 16 -> conv 32/2, each BN + ReLU, global average pooling, dense 10.
 */
function keraslikeCnn(): tf.LayersModel {
  const input = tf.input({ shape: [28, 28, 1] });
  let h: tf.SymbolicTensor = input;
  [8, 16, 16, 32].forEach((filters, i) => {
    h = tf.layers.conv2d({ filters, kernelSize: 3, strides: i % 2 === 1 ? 2 : 1, padding: 'same', useBias: false, kernelInitializer: tf.initializers.heNormal({ seed: 7 + i }) }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.batchNormalization({}).apply(h) as tf.SymbolicTensor;
    h = tf.layers.reLU().apply(h) as tf.SymbolicTensor;
  });
  h = tf.layers.globalAveragePooling2d({}).apply(h) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

/**
 * Stock tfjs (the wasm backend, none of morphnet's kernels or layer patches, one thread), in its
 * own process, one per model, so that the checks of two models run on the two cores side by side:
 * a saved model's test accuracy as saved, then after re-estimating its BN moving averages with
 * 600 training-mode batches of 32 training digits (momentum 0.99 leaves 0.99^600 = 0.24% of the
 * old value).
 */
const STOCK_CHECK = (modelDir: string) => `
const tf = require('@tensorflow/tfjs');
require('@tensorflow/tfjs-backend-wasm');
const fs = require('fs');
(async () => {
  await tf.setBackend('wasm');
  const json = JSON.parse(fs.readFileSync(${JSON.stringify(modelDir)} + '/model.json', 'utf8'));
  const weights = fs.readFileSync(${JSON.stringify(modelDir)} + '/' + json.weightsManifest[0].paths[0]);
  const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: new Uint8Array(weights).buffer }));
  const { loadMnist } = await import(${JSON.stringify(join(ROOT, 'dist/src/data/sources/mnist.js'))});
  const { train, test } = loadMnist();
  const accuracy = () => tf.tidy(() => {
    const predicted = model.predict(tf.tensor(test.x, [test.count, 28, 28, 1]), { batchSize: 256 }).argMax(-1).dataSync();
    let correct = 0;
    for (let i = 0; i < test.count; i++) if (predicted[i] === test.labels[i]) correct++;
    return correct / test.count;
  });
  const asSaved = accuracy();
  for (let b = 0; b < 600; b++) {
    const start = (b * 32 * 7) % (train.count - 32);
    tf.tidy(() => { model.apply(tf.tensor(train.x.subarray(start * 784, (start + 32) * 784), [32, 28, 28, 1]), { training: true }); });
  }
  process.stdout.write(JSON.stringify({ asSaved, reestimated: accuracy() }));
})();`;

/** STOCK_CHECK of one saved model, run without blocking. */
function stockCheck(modelDir: string): Promise<{ asSaved: number; reestimated: number }> {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, ['-e', STOCK_CHECK(modelDir)], { cwd: ROOT, encoding: 'utf8' }, (error, stdout) => (error ? reject(error) : resolve(JSON.parse(stdout)))),
  );
}

describe('BN population statistics of saved models', () => {
  it('every trained model scores in stock tfjs inference what a 600-batch BN re-estimation gives (within 0.2 points), and what the run reports', () => {
    const dir = tempDir();
    registerFileRouters();
    const seedPath = join(dir, 'seed/model.json');
    return saveModel(keraslikeCnn(), join(dir, 'seed')).then(async () => {
      writeFileSync(
        join(dir, 'exp.yaml'),
        `model: {path: ${seedPath}}
data: {dataset: mnist, limit: 1600, batchSize: 32}
seed: 4
backend: wasm
shrink: {steps: 20, strength: 1.0e-6, optimizer: {name: momentum, learningRate: 0.05, momentum: 0.9}}
expand: {multiplier: 1}
retrain: {steps: 60, baseline: uniform, optimizer: {name: momentum, learningRate: 0.1, momentum: 0.9}}
`,
      );
      const runDir = join(dir, 'run');
      const run = runCli(['run', join(dir, 'exp.yaml'), '-r', runDir]);
      expect(run.code, run.stderr).toBe(0);
      const stages = ['retrain', 'baseline'];
      const checks = await Promise.all(stages.map((stage) => stockCheck(join(runDir, stage, 'model'))));
      stages.forEach((stage, i) => {
        const result = JSON.parse(readFileSync(join(runDir, stage, 'result.json'), 'utf8'));
        const stock = checks[i];
        expect(stock.asSaved).toBeCloseTo(result.testAccuracy, 6);
        expect(Math.abs(stock.asSaved - stock.reestimated), `${stage}: ${JSON.stringify(stock)}`).toBeLessThanOrEqual(0.002);
        expect(stock.asSaved).toBeGreaterThan(0.3); // learning (60 steps: about 45%), not a constant guess (about 10%)
      });
    });
  });
});

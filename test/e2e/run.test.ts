import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli, startCli, tempDir, waitFor } from './cli.js';

const CONFIG = `
model: {zoo: cnn, options: {width: 0.5}}
data: {dataset: mnist, limit: 640, batchSize: 32}
seed: 2
backend: wasm
shrink: {steps: 24, strength: 1.0e-6, checkpointEvery: 8, exportEvery: 8, optimizer: {name: momentum, learningRate: 0.1, momentum: 0.9}}
expand: {targetFlops: 2M}
retrain: {steps: 24, checkpointEvery: 6, baseline: uniform, optimizer: {name: momentum, learningRate: 0.05, momentum: 0.9}}
`;

describe('morphnet run', () => {
  it('killed during shrink, then during retrain: each re-run resumes without redoing finished stages; the model loads in plain tfjs; the HTML report charts the run', async () => {
    const dir = tempDir();
    const config = join(dir, 'exp.yaml');
    writeFileSync(config, CONFIG);
    const runDir = join(dir, 'run');

    // First kill: during shrink, after its first checkpoint.
    const first = startCli(['run', config, '-r', runDir]);
    const firstExit = new Promise((resolve) => first.on('exit', resolve));
    await waitFor(() => existsSync(join(runDir, 'shrink/checkpoint/latest.json')), 240_000);
    first.kill('SIGKILL');
    await firstExit;
    expect(existsSync(join(runDir, 'shrink/result.json'))).toBe(false);

    // Second kill: the re-run resumes shrink, finishes it and expand, and is killed during retrain.
    const child = startCli(['run', config, '-r', runDir]);
    let secondStderr = '';
    child.stderr!.on('data', (chunk) => (secondStderr += chunk));
    const exited = new Promise((resolve) => child.on('exit', resolve));
    await waitFor(() => existsSync(join(runDir, 'retrain/checkpoint/latest.json')), 240_000);
    child.kill('SIGKILL');
    await exited;
    expect(secondStderr).toMatch(/shrink: 24 steps, resuming at step \d+/);
    const shrinkDone = statSync(join(runDir, 'shrink/result.json')).mtimeMs;
    const expandDone = statSync(join(runDir, 'expand/structure.json')).mtimeMs;

    const rerun = runCli(['run', config, '-r', runDir]);
    expect(rerun.code).toBe(0);
    expect(rerun.stderr).toContain('shrink: skipped');
    expect(rerun.stderr).toContain('expand: skipped');
    expect(rerun.stderr).toMatch(/retrain: 24 steps, resuming at step \d+/);
    expect(statSync(join(runDir, 'shrink/result.json')).mtimeMs).toBe(shrinkDone);
    expect(statSync(join(runDir, 'expand/structure.json')).mtimeMs).toBe(expandDone);
    expect(rerun.stdout).toContain('MorphNet');
    expect(existsSync(join(runDir, 'report.html'))).toBe(true);

    const report = JSON.parse(readFileSync(join(runDir, 'report.json'), 'utf8'));
    expect(report.stages.map((s: { name: string }) => s.name)).toEqual(['seed', 'shrink', 'expand', 'retrain', 'baseline']);
    const retrain = JSON.parse(readFileSync(join(runDir, 'retrain/result.json'), 'utf8'));
    expect(retrain.cost.flops).toBeLessThanOrEqual(2e6);

    // A separate Node process with nothing but @tensorflow/tfjs loads the model and gets the reported accuracy.
    const script = `
      const tf = require('@tensorflow/tfjs');
      const fs = require('fs');
      (async () => {
        const dir = ${JSON.stringify(join(runDir, 'retrain/model'))};
        const json = JSON.parse(fs.readFileSync(dir + '/model.json', 'utf8'));
        const weights = fs.readFileSync(dir + '/' + json.weightsManifest[0].paths[0]);
        const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: new Uint8Array(weights).buffer }));
        const { loadMnist } = await import(${JSON.stringify(join(ROOT, 'dist/src/data/sources/mnist.js'))});
        const test = loadMnist().test;
        const x = tf.tensor(test.x, [test.count, 28, 28, 1]);
        const predicted = model.predict(x).argMax(-1).dataSync();
        let correct = 0;
        for (let i = 0; i < test.count; i++) if (predicted[i] === test.labels[i]) correct++;
        process.stdout.write(String(correct / test.count));
      })();`;
    // Started now, read after the browser's checks: the two share the cores.
    const stockAccuracy = new Promise<number>((resolve, reject) =>
      execFile(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' }, (error, stdout) => (error ? reject(error) : resolve(Number(stdout)))),
    );

    // The HTML report charts this run: one bar per layer and series, one point per trained stage.
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    try {
      const page = await browser.newPage();
      await page.goto(`file://${join(runDir, 'report.html')}`);
      expect(await page.locator('#widths rect.bar-expanded').count()).toBe(report.layers.length);
      expect(await page.locator('#accuracy circle').count()).toBe(3); // shrink, retrain, baseline
      expect(await page.locator('#alive path').getAttribute('d')).toMatch(/^M[\d.]+,[\d.]+(L[\d.]+,[\d.]+){23}$/); // 24 shrink steps
    } finally {
      await browser.close();
    }
    expect(await stockAccuracy).toBeCloseTo(retrain.testAccuracy, 6);
  });
});

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, startCli, tempDir, waitFor } from './cli.js';

const CONFIG = `
model: {zoo: cnn, options: {width: 0.25}}
data: {dataset: synthetic, samples: 320, batchSize: 32, validationSplit: 0.2}
seed: 3
backend: wasm
shrink:
  steps: 60
  strength: 3.0e-6
  checkpointEvery: 10
  exportEvery: 10
  optimizer: {name: momentum, learningRate: 0.1, momentum: 0.9}
`;

describe('a killed shrink resumes', () => {
  it('a SIGKILLed run, re-run with the same command, ends with the structure of an uninterrupted run', async () => {
    const dir = tempDir();
    const config = join(dir, 'config.yaml');
    writeFileSync(config, CONFIG);

    const uninterrupted = runCli(['shrink', '-c', config, '-r', join(dir, 'a'), '--json']);
    expect(uninterrupted.code).toBe(0);

    const runDir = join(dir, 'b');
    const child = startCli(['shrink', '-c', config, '-r', runDir]);
    const exited = new Promise((resolve) => child.on('exit', resolve));
    const latest = join(runDir, 'shrink/checkpoint/latest.json');
    await waitFor(() => existsSync(latest), 120_000);
    const checkpointStep = JSON.parse(readFileSync(latest, 'utf8')).position.step;
    child.kill('SIGKILL');
    await exited;
    expect(checkpointStep).toBeLessThan(60);
    expect(JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')).stages.shrink.status).toBe('running');

    const resumed = runCli(['shrink', '-c', config, '-r', runDir, '--json']);
    expect(resumed.code).toBe(0);
    const result = JSON.parse(resumed.stdout);
    expect(result.resumedAt).toBeGreaterThanOrEqual(checkpointStep);
    const read = (run: string) => JSON.parse(readFileSync(join(dir, run, 'shrink/structure.json'), 'utf8'));
    expect(read('b')).toEqual(read('a'));
    const metrics = readFileSync(join(runDir, 'shrink/metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(metrics.filter((m) => m.loss !== undefined).map((m) => m.step)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
  });
});

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, startCli, tempDir, waitFor } from './cli.js';

// A tiny run: 40 shrink steps with a checkpoint every 4, so Ctrl-C comes long before the end.
const CONFIG = `
model: {zoo: cnn, options: {width: 0.25}}
data: {dataset: synthetic, samples: 128, batchSize: 32}
seed: 5
backend: wasm
shrink: {steps: 40, checkpointEvery: 4, exportEvery: 100}
expand: {multiplier: 1}
retrain: {steps: 4}
`;

describe('Ctrl-C during morphnet run', () => {
  it('says the run was interrupted and how to resume, exits 130, marks shrink interrupted, unlocks; the same command resumes and finishes', async () => {
    const dir = tempDir();
    const config = join(dir, 'exp.yaml');
    writeFileSync(config, CONFIG);
    const runDir = join(dir, 'run');

    const child = startCli(['run', config, '-r', runDir]);
    let stderr = '';
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await waitFor(() => existsSync(join(runDir, 'shrink/checkpoint/latest.json')), 120_000);
    child.kill('SIGINT');
    const code = await exited;

    expect(code).toBe(128 + 2);
    expect(stderr).toContain(`error: interrupted by SIGINT (Ctrl-C): shrink in ${runDir} stopped, marked interrupted in run.json`);
    expect(stderr).toContain(`hint: resume with the same command, which continues from the last checkpoint: morphnet run ${config} -r ${runDir}`);
    const shrink = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')).stages.shrink;
    expect(shrink).toMatchObject({ status: 'interrupted', error: 'interrupted by SIGINT (Ctrl-C)' });
    expect(existsSync(join(runDir, 'run.lock'))).toBe(false);
    const checkpointStep = JSON.parse(readFileSync(join(runDir, 'shrink/checkpoint/latest.json'), 'utf8')).position.step;
    expect(checkpointStep).toBeLessThan(40);

    const rerun = runCli(['run', config, '-r', runDir]);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).toContain(`shrink: 40 steps, resuming at step ${checkpointStep}`);
    const stages = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')).stages;
    for (const stage of ['shrink', 'expand', 'retrain']) expect(stages[stage].status).toBe('complete');

    // run prints the score histogram shrink ends with (README: choose the threshold from it), as shrink/result.json has it.
    const { scoreHistogram, threshold } = JSON.parse(readFileSync(join(runDir, 'shrink/result.json'), 'utf8'));
    const nonEmpty = scoreHistogram.filter((bin: { count: number }) => bin.count > 0);
    const histogram = rerun.stderr.split('\n').filter((line) => /^ {4}\[/.test(line));
    expect(rerun.stderr).toContain(`  channel scores (threshold ${threshold}):`);
    expect(histogram.map((line) => Number(line.trim().split(/\s+/)[2]))).toEqual(nonEmpty.map((bin: { count: number }) => bin.count));
    // 56 channels in all: 8 + 16 + 32 scores.
    expect(nonEmpty.reduce((sum: number, bin: { count: number }) => sum + bin.count, 0)).toBe(8 + 16 + 32);
  });
});

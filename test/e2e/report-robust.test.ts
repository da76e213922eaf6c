import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasStackTrace, runCliAsync, tempDir } from './cli.js';

// No validation set: 64 synthetic samples all train, batch 16 = 4 steps per epoch.
const CONFIG = `
model: {zoo: cnn, options: {width: 0.25}}
data: {dataset: synthetic, samples: 64, batchSize: 16, validationSplit: 0}
seed: 4
backend: wasm
shrink: {steps: 8, checkpointEvery: 4, exportEvery: 4, strength: auto}
expand: {multiplier: 1}
retrain: {steps: 4, checkpointEvery: 4}
`;

// The two describes' tests are independent (each its own temp dir): they run concurrently.
describe.concurrent('a run without a validation set, whose shrink metrics log was torn by a kill', () => {
  it('shows no NaN or 0.00% validation accuracy, and report still succeeds, warning about the torn line', async () => {
    const dir = tempDir();
    const config = join(dir, 'config.yaml');
    writeFileSync(config, CONFIG);
    const runDir = join(dir, 'run');

    const run = await runCliAsync(['run', config, '-r', runDir]);
    expect(run.code).toBe(0);
    // Epoch lines after steps 4 and 8 of shrink, and after step 4 of retrain.
    expect(run.stderr.match(/no validation set/g)).toHaveLength(3);
    expect(run.stderr + run.stdout).not.toMatch(/NaN|0\.00%/);
    const shrinkResult = JSON.parse(readFileSync(join(runDir, 'shrink/result.json'), 'utf8'));
    const retrainResult = JSON.parse(readFileSync(join(runDir, 'retrain/result.json'), 'utf8'));
    expect('valAccuracy' in shrinkResult).toBe(false);
    expect('valAccuracy' in retrainResult).toBe(false);

    // A kill during the append of step 8's record leaves its first 20 characters as the last line.
    const metricsPath = join(runDir, 'shrink/metrics.jsonl');
    const lines = readFileSync(metricsPath, 'utf8').trim().split('\n');
    const step8 = lines.findIndex((line) => JSON.parse(line).step === 8);
    const tornLineNumber = step8 + 1;
    writeFileSync(metricsPath, `${lines.slice(0, step8).join('\n')}\n${lines[step8].slice(0, 20)}`);

    // The three formats read the same files and write different ones: they run side by side.
    const [table, json, html] = await Promise.all([runCliAsync(['report', '-r', runDir]), runCliAsync(['report', '-r', runDir, '--format', 'json']), runCliAsync(['report', '-r', runDir, '--format', 'html'])]);
    expect(table.code).toBe(0);
    expect(table.stderr).toContain(`warning: ${metricsPath}:${tornLineNumber}: ignored the last line`);
    expect(hasStackTrace(table.stderr)).toBe(false);
    expect(table.stdout).not.toMatch(/NaN|0\.00%/);
    const shrinkRow = table.stdout.split('\n').find((line) => /│ shrink /.test(line));
    // stage, status, FLOPs, params, then blank val acc, test acc and multiplier.
    expect(shrinkRow).toMatch(/│ shrink +│ complete +│ +[\d.]+[kM]? +│ +[\d.]+[kM]? +│ +│ +│ +│/);

    expect(json.code).toBe(0);
    expect(json.stderr).toContain('ignored the last line');
    const report = JSON.parse(json.stdout);
    for (const stage of report.stages) expect('valAccuracy' in stage).toBe(false);
    // 8 steps of shrink, the 8th one torn: steps 1..7 remain on the curve.
    expect(report.shrinkCurve.map((point: { step: number }) => point.step)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(report.warnings).toHaveLength(1);

    expect(html.code).toBe(0);
    const page = readFileSync(join(runDir, 'report.html'), 'utf8');
    expect(page).not.toMatch(/NaN|0\.00%/);
    expect(page).toContain('ignored the last line');

    // Results written before this fix stored the NaN accuracy, which JSON turns into null.
    for (const stage of ['shrink', 'retrain']) {
      const path = join(runDir, stage, 'result.json');
      writeFileSync(path, JSON.stringify({ ...JSON.parse(readFileSync(path, 'utf8')), valAccuracy: null }));
    }
    const [older, olderTable] = await Promise.all([runCliAsync(['report', '-r', runDir, '--format', 'json']), runCliAsync(['report', '-r', runDir])]);
    expect(older.code).toBe(0);
    for (const stage of JSON.parse(older.stdout).stages) expect('valAccuracy' in stage).toBe(false);
    expect(olderTable.stdout).not.toMatch(/NaN|0\.00%/);
  });
});

describe.concurrent('a run whose config names a hardware', () => {
  it('report.json carries each stage roofline latency, equal to what morphnet cost counts for the same architecture', async () => {
    const dir = tempDir();
    const config = join(dir, 'config.yaml');
    // expand.multiplier 1 keeps the seed's widths, so retrain trains the seed's architecture.
    writeFileSync(config, CONFIG.replace('expand: {multiplier: 1}', 'expand: {multiplier: 1, hardware: T4}'));
    const runDir = join(dir, 'run');
    // The run and the cost count of its seed are independent: they run side by side.
    const [run, costOutput] = await Promise.all([runCliAsync(['run', config, '-r', runDir]), runCliAsync(['cost', '-m', 'zoo:cnn?width=0.25', '--hardware', 'T4', '--json'])]);
    expect(run.code).toBe(0);
    const report = JSON.parse((await runCliAsync(['report', '-r', runDir, '--json'])).stdout);
    expect(report.hardware).toBe('T4');
    const latency = (name: string) => report.stages.find((s: { name: string }) => s.name === name).cost.latency;
    const counted = JSON.parse(costOutput.stdout);
    expect(latency('seed')).toBeGreaterThan(0);
    expect(latency('seed')).toBeCloseTo(counted.totals.latency, 12);
    expect(latency('retrain')).toBeCloseTo(latency('seed'), 12);
    expect(latency('shrink')).toBeLessThanOrEqual(latency('seed'));

    // A run dir written before structure files carried their costs: report costs them from the seed, the same figures.
    const older = join(dir, 'older');
    cpSync(runDir, older, { recursive: true });
    for (const stage of ['shrink', 'expand']) {
      const path = join(older, stage, 'structure.json');
      const { layers: _layers, seedCost: _seedCost, hardware: _hardware, ...file } = JSON.parse(readFileSync(path, 'utf8'));
      writeFileSync(path, JSON.stringify(file));
    }
    const olderReport = await runCliAsync(['report', '-r', older, '--json']);
    expect(olderReport.code).toBe(0);
    expect({ ...JSON.parse(olderReport.stdout), runDir }).toEqual(report);

    // This version's files are enough: with the seed model gone (its timing, seed/latency.json, is a report input and stays), report says the same and starts no backend.
    for (const file of readdirSync(join(runDir, 'seed'))) if (file !== 'latency.json') rmSync(join(runDir, 'seed', file), { recursive: true });
    expect(JSON.parse((await runCliAsync(['report', '-r', runDir, '--json'])).stdout)).toEqual(report);
    const table = await runCliAsync(['report', '-r', runDir]);
    expect(table.code).toBe(0);
    expect(table.stderr).not.toContain('backend:');
  });
});

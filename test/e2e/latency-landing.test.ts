import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ExpandedStructure, UniformStructure } from '../../src/structure/structure-file.js';
import { hasStackTrace, runCli, tempDir } from './cli.js';

const CONFIG = `
model: {zoo: cnn, options: {width: 0.25}}
data: {dataset: synthetic, samples: 64, batchSize: 16}
backend: wasm
shrink: {steps: 2, strength: 1.0e-6}
retrain: {steps: 2, baseline: uniform, measureLatency: false}
`;

const read = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8'));

describe('morphnet latency, then expand --target-latency with that table: the structure is timed against the seed until it lands', () => {
  it('measures a table, lands expand and the uniform baseline on it as measured; --no-measure fits by the table alone', () => {
    const dir = tempDir();
    const runDir = join(dir, 'run');
    const table = join(dir, 'table.json');
    writeFileSync(join(dir, 'cnn.yaml'), CONFIG);
    expect(runCli(['shrink', '-c', join(dir, 'cnn.yaml'), '-r', runDir]).code).toBe(0);

    const latency = runCli(['latency', '-m', 'zoo:cnn?width=0.25', '--backend', 'wasm', '--widths', '2', '--repeats', '3', '-o', table]);
    expect(latency.code, latency.stderr).toBe(0);
    expect(latency.stdout).toContain('calibrated on every prunable group at 50% of its width, in multiples of 8');

    // The table by its path, relative to where expand runs: the expanded structure records it absolute, for retrain.
    const expand = runCli(['expand', '-r', runDir, '--target-latency', '100%', '--hardware', 'table.json', '--json'], { cwd: dir });
    expect(expand.code, expand.stderr).toBe(0);
    const expanded = JSON.parse(expand.stdout) as ExpandedStructure;
    const target = (expanded.target as { value: number }).value;
    // 100% of the seed: the table's prediction for the seed is the target, so each landing is its share x the target.
    expect(expanded.budgetHardware).toBe(table);
    expect(expanded.measured?.on).toMatch(/^wasm, \d+ threads?, batch 1$/);
    expect(expanded.measured?.protocol.pairs).toBe(31);
    const attempts = expanded.measured!.attempts;
    expect(attempts.length).toBeGreaterThanOrEqual(1);
    expect(attempts.length).toBeLessThanOrEqual(3);
    expect(attempts[0].aimedMs).toBe(target);
    for (const a of attempts) expect(a.landedMs).toBeCloseTo(a.measuredShare * target, 9);
    expect(read<ExpandedStructure>(join(runDir, 'expand/structure.json')).measured).toEqual(expanded.measured);

    // Retrain, run from elsewhere, finds the table again and lands the baseline alike, in multiples of 8.
    const retrain = runCli(['retrain', '-r', runDir], { cwd: tempDir() });
    expect(retrain.code, retrain.stderr).toBe(0);
    const baseline = read<UniformStructure>(join(runDir, 'baseline/structure.json'));
    expect(baseline.measured?.attempts[0].aimedMs).toBe(target);
    for (const group of baseline.groups.filter((g) => !g.fixed)) expect(group.width % 8, group.layers[0]).toBe(0);

    const unmeasured = runCli(['expand', '-r', runDir, '--target-latency', '100%', '--hardware', table, '--no-measure', '--force']);
    expect(unmeasured.code, unmeasured.stderr).toBe(0);
    expect(unmeasured.stdout).not.toContain('measured on');
    expect(read<ExpandedStructure>(join(runDir, 'expand/structure.json')).measured).toBeUndefined();
    expect(hasStackTrace(unmeasured.stderr)).toBe(false);
  }, 120_000);
});

import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasStackTrace, runCli, startCli, tempDir, waitFor } from './cli.js';

const CHROMIUM = '/usr/bin/chromium';

/**
 * zoo:cnn at width 0.25 on 128 synthetic samples: 2 strengths (3e-4 prunes conv3 in 8 steps,
 * 1e-4 prunes nothing), budgets 50% and 30%, seeds 1 and 2, every arm. The trained run dirs
 * come seed by seed: morphnet-50pct, morphnet-30pct (each with the uniform baseline), seed.
 */
const EXPERIMENT = `
model: {zoo: cnn, options: {width: 0.25}}
data: {dataset: synthetic, samples: 128, batchSize: 32}
seed: 1
backend: wasm
shrink: {steps: 8, checkpointEvery: 4, exportEvery: 4, optimizer: {name: momentum, learningRate: 0.1, momentum: 0.9}}
retrain: {steps: 4, checkpointEvery: 2, measureLatency: false}  # inference timing is tested in retrain.test.ts, not in every sweep arm
`;
const SWEEP = `sweep:
  strengths: [1.0e-4, 3.0e-4]
  budgets: ["50%", 0.3]
  seeds: [1, 2]
  arms: [morphnet, uniform, seed]
`;
const TRAINED = ['morphnet-50pct-seed1', 'morphnet-30pct-seed1', 'seed-seed1', 'morphnet-50pct-seed2', 'morphnet-30pct-seed2', 'seed-seed2'];

/** Modification times of every result a sub-run finished (result.json of each stage, report.html). */
function finishedFiles(sweepDir: string): Record<string, number> {
  const times: Record<string, number> = {};
  for (const run of readdirSync(sweepDir).filter((name) => existsSync(join(sweepDir, name, 'report.html')))) {
    for (const file of ['shrink/result.json', 'expand/structure.json', 'retrain/result.json', 'baseline/result.json', 'report.html']) {
      const path = join(sweepDir, run, file);
      if (existsSync(path)) times[`${run}/${file}`] = statSync(path).mtimeMs;
    }
  }
  return times;
}

describe('morphnet sweep', () => {
  it('killed mid-way and re-run: finished sub-runs are kept, the rest resumes; sweep.json has the statistics; sweep.html draws a point per arm and budget', async () => {
    const dir = tempDir();
    const config = join(dir, 'sweep.yaml');
    writeFileSync(config, `${EXPERIMENT}${SWEEP}`);
    const sweepDir = join(dir, 'sweep');

    // Killed while seed 2's first run dir is retraining: seed 1's three run dirs and both shrinks are finished.
    const child = startCli(['sweep', config, '-r', sweepDir]);
    const exited = new Promise((resolve) => child.on('exit', resolve));
    await waitFor(() => existsSync(join(sweepDir, 'morphnet-50pct-seed2/retrain/checkpoint/latest.json')), 80_000);
    child.kill('SIGKILL');
    await exited;
    expect(existsSync(join(sweepDir, 'sweep.json'))).toBe(false);
    const finished = finishedFiles(sweepDir);
    const finishedRuns = [...new Set(Object.keys(finished).map((key) => key.split('/')[0]))].sort();
    expect(finishedRuns).toEqual(expect.arrayContaining(['morphnet-30pct-seed1', 'morphnet-50pct-seed1', 'seed-seed1', 'shrink-1e-4', 'shrink-3e-4']));

    const rerun = runCli(['sweep', config, '-r', sweepDir]);
    expect(rerun.stderr).not.toMatch(/error/);
    expect(rerun.code).toBe(0);
    for (const run of finishedRuns) expect(rerun.stderr).toMatch(new RegExp(`${run}: skipped \\(finished\\)`));
    expect(finishedFiles(sweepDir)).toMatchObject(finished);

    const sweep = JSON.parse(readFileSync(join(sweepDir, 'sweep.json'), 'utf8'));
    expect(sweep.format).toBe('morphnet.sweep/1');
    expect(sweep.runs.map((r: { run: string }) => r.run)).toEqual(TRAINED);
    // Synthetic data has no test split: the sweep says so and compares validation accuracy.
    expect(sweep.metric).toBe('validation');
    expect(sweep.metricNote).toContain('no test split');
    // 2 budgets x (morphnet, uniform) + the seed, each over seeds 1 and 2.
    const arms = sweep.statistics.arms.map((g: { arm: string; budget: string; seeds: number[] }) => `${g.arm} ${g.budget} ${g.seeds.join(',')}`);
    expect(arms).toEqual(['morphnet 50pct 1,2', 'uniform 50pct 1,2', 'morphnet 30pct 1,2', 'uniform 30pct 1,2', 'seed 100pct 1,2']);
    for (const group of sweep.statistics.arms) {
      const accuracies = sweep.results.filter((r: { arm: string; budget: string }) => r.arm === group.arm && r.budget === group.budget).map((r: { accuracy: number }) => r.accuracy);
      expect(group.accuracy.mean).toBeCloseTo((accuracies[0] + accuracies[1]) / 2, 12);
      // Sample std of two values: |a - b| / sqrt(2).
      expect(group.accuracy.std).toBeCloseTo(Math.abs(accuracies[0] - accuracies[1]) / Math.SQRT2, 12);
      expect(group.relativeToSeed).toBeCloseTo(group.accuracy.mean / sweep.statistics.seed.mean, 12);
    }
    // The seed arm is the seed network: the seed's own cost.
    expect(sweep.results.filter((r: { arm: string }) => r.arm === 'seed').map((r: { cost: { flops: number } }) => r.cost.flops)).toEqual([sweep.seedCost, sweep.seedCost]);
    // Every arm at a budget stays within it.
    for (const result of sweep.results) expect(result.cost.flops).toBeLessThanOrEqual(result.budgetAmount);
    // Paired over 2 seeds: t(0.975, 1) = 12.7062, half-width 12.7062 * sd / sqrt(2).
    expect(sweep.statistics.differences.map((d: { budget: string }) => d.budget)).toEqual(['50pct', '30pct']);
    for (const d of sweep.statistics.differences) {
      expect(d.seeds).toEqual([1, 2]);
      expect(d.difference.t).toBeCloseTo(12.706204736174703, 10);
      expect(d.difference.halfWidth).toBeCloseTo((12.706204736174703 * d.difference.std) / Math.SQRT2, 12);
    }
    expect(rerun.stdout).toContain('MorphNet - uniform');
    expect(rerun.stdout).toContain(`html: ${join(sweepDir, 'sweep.html')}`);

    // Every sub-run is an ordinary run dir.
    const report = runCli(['report', '-r', join(sweepDir, 'morphnet-50pct-seed2'), '--json']);
    expect(report.code).toBe(0);
    expect(JSON.parse(report.stdout).stages.map((s: { name: string }) => s.name)).toEqual(['seed', 'shrink', 'expand', 'retrain', 'baseline']);

    // A sweep dir from another config is refused before anything is touched.
    writeFileSync(config, `${EXPERIMENT.replace('learningRate: 0.1', 'learningRate: 0.2')}${SWEEP}`);
    const other = runCli(['sweep', config, '-r', sweepDir]);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('was made from another config: shrink.optimizer.learningRate was 0.1, now 0.2');
    expect(other.stderr).toContain('hint: rerun with the config it was made from');
    expect(hasStackTrace(other.stderr)).toBe(false);
    expect(finishedFiles(sweepDir)).toMatchObject(finished);

    if (existsSync(CHROMIUM)) await checkHtml(join(sweepDir, 'sweep.html'), sweepDir);
  }, 150_000);
});

/** The page in headless Chromium: a point per arm and budget on each chart, each linking to an existing report. */
async function checkHtml(file: string, sweepDir: string): Promise<void> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
    page.on('request', (request) => !request.url().startsWith('file:') && problems.push(`network request ${request.url()}`));
    await page.goto(`file://${file}`);
    for (const chart of ['flops', 'params']) {
      // morphnet and uniform at 50% and 30%, and the seed.
      const points = await page.locator(`#${chart} circle.point`).evaluateAll((circles) => circles.map((c) => `${c.getAttribute('data-arm')} ${c.getAttribute('data-budget')}`));
      expect(points.sort()).toEqual(['morphnet 30pct', 'morphnet 50pct', 'seed 100pct', 'uniform 30pct', 'uniform 50pct']);
      // Every model of every seed as a small dot: 6 run dirs, 5 arm models per seed.
      expect(await page.locator(`#${chart} circle.run`).count()).toBe(10);
      expect(await page.locator(`#${chart} path.line`).count()).toBe(2);
    }
    expect(await page.locator('#latency').count()).toBe(0);
    const links = await page.locator('a').evaluateAll((anchors) => anchors.map((a) => a.getAttribute('href')!));
    expect(links.length).toBeGreaterThan(0);
    for (const link of new Set(links)) expect(existsSync(join(sweepDir, link))).toBe(true);
    expect(await page.locator('#differences tbody tr').count()).toBe(2);
    expect(problems).toEqual([]);
  } finally {
    await browser.close();
  }
}

import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigInvalidError } from '../config/load.js';
import { MorphnetError } from '../errors.js';
import { sweepStage } from './sweep.js';

/** zoo:cnn at width 0.25 (conv 8 -> 16/2 -> 32/2, 1,016,704 FLOPs) on 128 synthetic samples. */
const EXPERIMENT = `
model: {zoo: cnn, options: {width: 0.25}}
data: {dataset: synthetic, samples: 128, batchSize: 32}
seed: 1
backend: wasm
shrink: {steps: 4, strength: 1.0e-4, checkpointEvery: 2, exportEvery: 2, optimizer: {name: momentum, learningRate: 0.1, momentum: 0.9}}
retrain: {steps: 4, checkpointEvery: 2, measureLatency: false}  # inference timing is tested in retrain.test.ts, not in every sweep arm
`;

function writeConfig(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function thrown(promise: Promise<unknown>): Promise<MorphnetError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(MorphnetError);
    return error as MorphnetError;
  }
  throw new Error('expected a MorphnetError');
}

/** Modification times of every result.json under the sweep dir: finished sub-runs that must stay untouched. */
function resultTimes(sweepDir: string): Record<string, number> {
  const times: Record<string, number> = {};
  for (const run of readdirSync(sweepDir)) {
    for (const stage of ['shrink', 'retrain', 'baseline']) {
      const file = join(sweepDir, run, stage, 'result.json');
      if (existsSync(file)) times[`${run}/${stage}`] = statSync(file).mtimeMs;
    }
  }
  return times;
}

describe('morphnet sweep: bad input as a new user writes it', () => {
  let dir: string;
  let sweepDir: string;
  let finished: Record<string, number>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'morphnet-sweep-'));
    sweepDir = join(dir, 'sweep');
    const config = writeConfig(dir, 'small.yaml', `${EXPERIMENT}sweep: {strengths: [1.0e-4], budgets: ["50%"], seeds: [1], arms: [uniform]}\n`);
    const result = await sweepStage({ configPath: config, sweepDir, toolVersion: 'test' });
    expect(result.summary.runs.map((r) => r.run)).toEqual(['uniform-50pct-seed1']);
    finished = resultTimes(sweepDir);
    // The shrink (linked into the run dir made from it), and the run dir's retrain/ and baseline/ (retrain always trains the expanded structure).
    expect(Object.keys(finished).sort()).toEqual(['shrink-1e-4/shrink', 'uniform-50pct-seed1/baseline', 'uniform-50pct-seed1/retrain', 'uniform-50pct-seed1/shrink']);
  }, 120_000);

  it('a budget above the seed\'s cost: exit 2 naming the key, the amount, the seed\'s cost and the fix; nothing is touched', async () => {
    // 2M FLOPs against the seed's 1,016,704 (formatted 1.02M).
    const config = writeConfig(dir, 'above.yaml', `${EXPERIMENT}sweep: {strengths: [1.0e-4], budgets: ["50%", 2M], seeds: [1], arms: [uniform]}\n`);
    const error = await thrown(sweepStage({ configPath: config, sweepDir, toolVersion: 'test' }));
    expect(error.kind).toBe('config');
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe("sweep.budgets.1: 2M FLOPs is above the seed's own cost, 1.02M FLOPs; expected a budget at most the seed's cost");
    expect(error.hint).toBe('use a fraction up to 1 ("100%") or an amount up to 1.02M');
    expect(resultTimes(sweepDir)).toEqual(finished);
    const fresh = join(dir, 'never-made');
    await thrown(sweepStage({ configPath: config, sweepDir: fresh, toolVersion: 'test' }));
    expect(existsSync(fresh)).toBe(false);
  });

  it('an empty seed list and an unknown arm: every problem at once, located in the file', async () => {
    const config = writeConfig(dir, 'bad.yaml', `${EXPERIMENT}sweep:\n  budgets: ["50%"]\n  seeds: []\n  arms: [morphnet, random]\n`);
    const error = await thrown(sweepStage({ configPath: config, sweepDir, toolVersion: 'test' }));
    expect(error).toBeInstanceOf(ConfigInvalidError);
    expect(error.exitCode).toBe(2);
    // The sweep section starts on line 8 of the file (EXPERIMENT begins with an empty line).
    expect((error as ConfigInvalidError).problems).toEqual([
      { path: 'sweep.seeds', location: `${config}:10:10`, message: 'expected a list of at least 1 item, received []' },
      { path: 'sweep.arms.1', location: `${config}:11:20`, message: 'expected one of "morphnet", "uniform", "seed", received "random"' },
    ]);
    expect(error.hint).toContain('fix the keys above');
    expect(resultTimes(sweepDir)).toEqual(finished);
  });

  it('a config without a sweep section says what to add', async () => {
    const config = writeConfig(dir, 'plain.yaml', EXPERIMENT);
    const error = (await thrown(sweepStage({ configPath: config, toolVersion: 'test' }))) as ConfigInvalidError;
    expect(error.problems).toEqual([{ path: 'sweep', location: `${config}:1:1`, message: 'required: a sweep: section, e.g. sweep: {budgets: ["25%", "50%"], seeds: [1, 2, 3]}' }]);
  });

  it('a sweep dir made from another config is refused with the keys that differ; its sub-runs stay untouched', async () => {
    const config = writeConfig(dir, 'other.yaml', `${EXPERIMENT.replace('strength: 1.0e-4', 'strength: 1.0e-4, threshold: 0.02')}sweep: {strengths: [1.0e-4], budgets: ["25%"], seeds: [1], arms: [uniform]}\n`);
    const error = await thrown(sweepStage({ configPath: config, sweepDir, toolVersion: 'test' }));
    expect(error.kind).toBe('config');
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(`${sweepDir} was made from another config: shrink.threshold was 0.01, now 0.02; sweep.budgets was [0.5], now [0.25]`);
    expect(error.hint).toBe(`rerun with the config it was made from (${join(sweepDir, 'config.resolved.yaml')} is a copy), or pass another -r SWEEP_DIR; only sweep.seeds may change between runs of one sweep`);
    expect(resultTimes(sweepDir)).toEqual(finished);
  });

  it('a run dir is not a sweep dir', async () => {
    const runDir = join(dir, 'a-run');
    mkdirSync(runDir);
    writeFileSync(join(runDir, 'run.json'), '{}');
    const config = writeConfig(dir, 'ok.yaml', `${EXPERIMENT}sweep: {strengths: [1.0e-4], budgets: ["50%"], seeds: [1], arms: [uniform]}\n`);
    const error = await thrown(sweepStage({ configPath: config, sweepDir: runDir, toolVersion: 'test' }));
    expect(error.message).toBe(`${runDir} is a run dir (it has run.json), not a sweep dir`);
    expect(error.exitCode).toBe(2);
  });

  it('more seeds extend a finished sweep: only the new seed\'s run dir is made', async () => {
    const config = writeConfig(dir, 'more-seeds.yaml', `${EXPERIMENT}sweep: {strengths: [1.0e-4], budgets: ["50%"], seeds: [1, 2], arms: [uniform]}\n`);
    const result = await sweepStage({ configPath: config, sweepDir, toolVersion: 'test' });
    expect(result.summary.runs.map((r) => r.run)).toEqual(['uniform-50pct-seed1', 'uniform-50pct-seed2']);
    const times = resultTimes(sweepDir);
    expect(Object.fromEntries(Object.entries(times).filter(([key]) => key in finished))).toEqual(finished);
    expect(Object.keys(times).filter((key) => !(key in finished)).sort()).toEqual(['uniform-50pct-seed2/baseline', 'uniform-50pct-seed2/retrain', 'uniform-50pct-seed2/shrink']);
    // Both seeds' baselines are the seed scaled to 50% of 1,016,704 FLOPs: the same architecture.
    const [first, second] = result.summary.results;
    expect(second.cost).toEqual(first.cost);
    expect(first.cost.flops).toBeLessThanOrEqual(0.5 * 1016704);
    expect(result.summary.metric).toBe('validation');
    expect(result.summary.metricNote).toBe('the synthetic data has no test split: accuracies are on the validation split (13 samples)');
  }, 120_000);

  it('with hardware in the config, every model also has its roofline latency', async () => {
    const config = writeConfig(dir, 'latency.yaml', `${EXPERIMENT.replace('strength: 1.0e-4', 'strength: 1.0e-4, target: latency, hardware: T4')}sweep: {strengths: [1.0e-4], budgets: ["50%"], seeds: [1], arms: [morphnet, uniform]}\n`);
    const result = await sweepStage({ configPath: config, sweepDir: join(dir, 'latency'), toolVersion: 'test' });
    expect(result.summary.target).toBe('latency');
    expect(result.summary.hardware).toBe('T4');
    const budget = result.summary.budgets[0];
    expect(budget).toEqual({ label: '50pct', amount: 0.5 * result.summary.seedCost, fraction: 0.5 });
    for (const model of result.summary.results) {
      expect(model.cost.latency).toBeGreaterThan(0);
      expect(model.cost.latency).toBeLessThanOrEqual(budget.amount * (1 + 1e-9));
    }
  }, 120_000);

  it('sweep.resource: size: a FLOP-regularized shrink expanded to budgets of parameters, each arm within its budget', async () => {
    const config = writeConfig(dir, 'resource.yaml', `${EXPERIMENT}sweep: {strengths: [1.0e-4], budgets: ["50%"], resource: size, seeds: [1], arms: [morphnet, uniform]}\n`);
    const result = await sweepStage({ configPath: config, sweepDir: join(dir, 'resource'), toolVersion: 'test' });
    expect(result.summary.target).toBe('size');
    expect(result.summary.shrinkTarget).toBe('flops');
    const seed = result.summary.results.find((model) => model.arm === 'uniform')!;
    const budget = result.summary.budgets[0];
    expect(budget).toEqual({ label: '50pct', amount: 0.5 * result.summary.seedCost, fraction: 0.5 });
    // The seed's parameters, not its 1,016,704 FLOPs (convs without bias, each followed by BN's scale and offset):
    // conv1 3x3x1x8, BN 2 x 8, conv2 3x3x8x16, BN 2 x 16, conv3 3x3x16x32, BN 2 x 32, dense 32 x 10 + 10 (after global pooling)
    // = 72 + 16 + 1,152 + 32 + 4,608 + 64 + 330 = 6,274.
    expect(result.summary.seedCost).toBe(6274);
    for (const model of result.summary.results) expect(model.cost.params).toBeLessThanOrEqual(budget.amount);
    expect(seed.cost.params).toBeGreaterThan(0.9 * budget.amount);
  }, 120_000);

  it('pick all: MorphNet from every shrink at every budget, the uniform baseline once, in the closest shrink\'s run dir', async () => {
    const config = writeConfig(dir, 'all.yaml', `${EXPERIMENT}sweep: {strengths: [1.0e-4, 2.0e-4], budgets: ["50%"], seeds: [1], arms: [morphnet, uniform], pick: all}\n`);
    const result = await sweepStage({ configPath: config, sweepDir: join(dir, 'all'), toolVersion: 'test' });
    // Neither shrink prunes in 4 steps: both learned costs equal the seed's, a tie that goes to the larger strength.
    expect(result.summary.shrinks.map((s) => [s.run, s.learnedCost, s.budgets])).toEqual([
      ['shrink-1e-4', 1016704, ['50pct']],
      ['shrink-2e-4', 1016704, ['50pct']],
    ]);
    expect(result.summary.runs.map((r) => [r.run, r.arms.map((a) => a.arm)])).toEqual([
      ['morphnet-50pct-1e-4-seed1', ['morphnet']],
      ['morphnet-50pct-2e-4-seed1', ['morphnet', 'uniform']],
    ]);
    expect(result.summary.statistics.arms.map((g) => [g.arm, g.strength])).toEqual([
      ['morphnet', 1e-4],
      ['morphnet', 2e-4],
      ['uniform', undefined],
    ]);
    expect(result.summary.statistics.differences.map((d) => [d.strength, d.seeds])).toEqual([
      [1e-4, [1]],
      [2e-4, [1]],
    ]);
  }, 120_000);
});

describe('morphnet sweep with strengths: goal', () => {
  it('one shrink per budget seeking it; the seed arm copies the largest budget\'s shrink; a rerun skips, more seeds extend', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'morphnet-sweep-goal-'));
    const sweepDir = join(dir, 'sweep');
    // The experiment's shrink.strength gives way to each shrink's goal (the two keys exclude each other).
    const sweep = (seeds: string) => writeConfig(dir, 'goal.yaml', `${EXPERIMENT}sweep: {strengths: goal, budgets: ["50%"], seeds: ${seeds}, arms: [morphnet, seed]}\n`);
    const result = await sweepStage({ configPath: sweep('[1]'), sweepDir, toolVersion: 'test' });
    // 4 steps are fewer than the controller's first update (every 10 steps): lambda stays at its start, 1 / the seed's 1,016,704 FLOPs.
    const lambda = 1 / 1016704;
    expect(result.summary.shrinks.map((s) => [s.run, s.goal, s.strength, s.budgets])).toEqual([['shrink-goal-50pct', '50%', expect.closeTo(lambda, 15), ['50pct']]]);
    expect(result.summary.strengths).toEqual([result.summary.shrinks[0].strength]);
    expect(result.summary.runs.map((r) => [r.run, r.shrink, r.goal])).toEqual([
      ['morphnet-50pct-seed1', 'shrink-goal-50pct', '50%'],
      ['seed-seed1', 'shrink-goal-50pct', '50%'],
    ]);
    expect(result.summary.statistics.arms.map((g) => [g.arm, g.goal])).toEqual([
      ['morphnet', '50%'],
      ['seed', undefined],
    ]);
    // The shrink ran with the goal and no strength; the trained run dirs record the same shrink section.
    const shrinkConfig = (run: string) => (JSON.parse(readFileSync(join(sweepDir, run, 'run.json'), 'utf8')) as { config: { shrink: Record<string, unknown> } }).config.shrink;
    for (const run of ['shrink-goal-50pct', 'morphnet-50pct-seed1', 'seed-seed1']) {
      expect(shrinkConfig(run).goal).toBe('50%');
      expect(shrinkConfig(run)).not.toHaveProperty('strength');
    }
    expect(readFileSync(result.html, 'utf8')).toContain('goal 50% (λ 9.84e-7)');

    const finished = resultTimes(sweepDir);
    const again = await sweepStage({ configPath: sweep('[1]'), sweepDir, toolVersion: 'test' });
    expect(again.summary.runs).toEqual(result.summary.runs);
    expect(resultTimes(sweepDir)).toEqual(finished);
    const more = await sweepStage({ configPath: sweep('[1, 2]'), sweepDir, toolVersion: 'test' });
    expect(more.summary.runs.map((r) => r.run)).toEqual(['morphnet-50pct-seed1', 'seed-seed1', 'morphnet-50pct-seed2', 'seed-seed2']);
    expect(Object.fromEntries(Object.entries(resultTimes(sweepDir)).filter(([key]) => key in finished))).toEqual(finished);
  }, 180_000);

  it('a 100% budget is refused before anything runs: a goal shrink cannot seek the seed\'s own cost', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'morphnet-sweep-goal-'));
    const config = writeConfig(dir, 'full.yaml', `${EXPERIMENT}sweep: {strengths: goal, budgets: ["50%", "100%"], seeds: [1], arms: [morphnet]}\n`);
    const error = await thrown(sweepStage({ configPath: config, sweepDir: join(dir, 'sweep'), toolVersion: 'test' }));
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe("sweep.budgets.1: 1.02M FLOPs is the seed's own cost, and strengths: goal shrinks toward each budget; expected budgets below the seed's 1.02M FLOPs");
    expect(existsSync(join(dir, 'sweep'))).toBe(false);
  });
});

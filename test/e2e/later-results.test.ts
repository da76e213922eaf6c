import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { hasStackTrace, runCli, runCliAsync, tempDir } from './cli.js';

// zoo:cnn at width 0.25 (conv 8 -> 16/2 -> 32/2, dense 10) on 28x28x1:
// 2 * (28*28*9*1*8 + 14*14*9*8*16 + 7*7*9*16*32 + 32*10) = 1,016,704 FLOPs, "1.02M".
const SEED_FLOPS = 2 * (28 * 28 * 9 * 1 * 8 + 14 * 14 * 9 * 8 * 16 + 7 * 7 * 9 * 16 * 32 + 32 * 10);
const CONFIG = `
model: {zoo: cnn, options: {width: 0.25}}
data: {dataset: synthetic, samples: 128, batchSize: 32}
backend: wasm
shrink: {steps: 4, strength: 1.0e-6}
retrain: {steps: 4}
`;

describe('what later stages leave behind, and what the user is told of it', () => {
  const dir = tempDir();
  const runDir = join(dir, 'run');

  beforeAll(() => {
    writeFileSync(join(dir, 'exp.yaml'), CONFIG);
    const shrink = runCli(['shrink', '-c', join(dir, 'exp.yaml'), '-r', runDir, '--json']);
    expect(shrink.code, shrink.stderr).toBe(0);
    // --json: the result alone, no notices (the backend line among them).
    expect(shrink.stderr).toBe('');
    expect(JSON.parse(shrink.stdout).initialFlops).toBe(SEED_FLOPS);
  });

  it('a budget above the seed cost is accepted with a warning naming both and the fixes', () => {
    expect(SEED_FLOPS).toBe(1_016_704);
    const above = runCli(['expand', '-r', runDir, '--target-flops', '1G']);
    expect(above.code, above.stderr).toBe(0);
    expect(above.stderr).toMatch(/^warning: the expand target 1G FLOPs is above the seed's own cost, 1\.02M FLOPs: the expanded network is larger than the seed \(conv\d grows from \d+ to \d+ channels\)/m);
    expect(above.stderr).toContain("cap the widths with expand.maxWidth (--max-width N), or choose a target at most the seed's 1.02M FLOPs");
    // The backend line, as every command that starts a backend prints it.
    expect(above.stderr).toContain('backend: wasm (@tensorflow/tfjs-backend-wasm');
    const within = runCli(['expand', '-r', runDir, '--target-flops', '500k', '--force']);
    expect(within.code, within.stderr).toBe(0);
    expect(within.stderr).not.toContain('warning');
  });

  it('expand --force removes the retrained model, its export and the report, names them, and keeps the pruned export', async () => {
    expect(runCli(['expand', '-r', runDir, '--multiplier', '1', '--force']).code).toBe(0);
    expect(runCli(['retrain', '-r', runDir]).code).toBe(0);
    // The report and the two exports read the finished run and write different files: side by side.
    const made = await Promise.all([runCliAsync(['report', '-r', runDir]), runCliAsync(['export', '-r', runDir]), runCliAsync(['export', '-r', runDir, '--from', 'pruned', '--format', 'h5'])]);
    expect(made.map((result) => result.code)).toEqual([0, 0, 0]);
    const stale = [join(runDir, 'retrain'), join(runDir, 'report.json'), join(runDir, 'export/retrain.keras')];
    for (const path of stale) expect(existsSync(path)).toBe(true);

    const redo = runCli(['expand', '-r', runDir, '--multiplier', '0.75', '--force']);
    expect(redo.code, redo.stderr).toBe(0);
    expect(redo.stderr).toContain(`expand: removed 3 results made from the previous expand (they no longer match): ${stale[0]}, ${stale[2]}, ${stale[1]}`);
    for (const path of stale) expect(existsSync(path)).toBe(false);
    expect(existsSync(join(runDir, 'export/pruned.h5'))).toBe(true);
  });

  it('report shows a failed retrain with its message, in the table and in report.json', () => {
    // A file where retrain keeps its checkpoints: retrain fails when it saves one, as on a broken disk.
    mkdirSync(join(runDir, 'retrain'), { recursive: true });
    writeFileSync(join(runDir, 'retrain/checkpoint'), '');
    const retrain = runCli(['retrain', '-r', runDir]);
    expect(retrain.code).toBe(1);
    const record = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')).stages.retrain;
    expect(record.status).toBe('failed');
    expect(record.error).toContain('ENOTDIR');

    const table = runCli(['report', '-r', runDir]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/│ retrain +│ failed +│/);
    expect(table.stdout).toContain(`retrain failed: ${record.error}\n  resume from its last checkpoint: morphnet retrain -r ${runDir}`);
    expect(hasStackTrace(table.stderr)).toBe(false);

    const json = runCli(['report', '-r', runDir, '--json']);
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout);
    const stages = Object.fromEntries(report.stages.map((s: { name: string }) => [s.name, s]));
    expect(Object.keys(stages)).toEqual(['seed', 'shrink', 'expand', 'retrain']);
    expect(stages.retrain).toMatchObject({ status: 'failed', error: record.error, multiplier: 0.75 });
    // The architecture it was training: the expanded one.
    expect(stages.retrain.cost).toEqual(stages.expand.cost);
    expect(JSON.parse(readFileSync(join(runDir, 'report.json'), 'utf8')).stages[3]).toEqual(stages.retrain);
  });

  it('--json on every command, --format json as its alias on report and cost; no backend line under --json', async () => {
    // Independent read-only launches (report reads files, cost builds a zoo model, --help prints):
    // started together, they share the cores.
    const commands = ['run', 'shrink', 'expand', 'retrain', 'report', 'export', 'cost'];
    const [viaFormat, viaJson, table, cost, costTable, both, ...helps] = await Promise.all([
      runCliAsync(['report', '-r', runDir, '--format', 'json']),
      runCliAsync(['report', '-r', runDir, '--json']),
      runCliAsync(['report', '-r', runDir]),
      runCliAsync(['cost', '-m', 'zoo:cnn?width=0.25', '--json']),
      runCliAsync(['cost', '-m', 'zoo:cnn?width=0.25']),
      runCliAsync(['cost', '-m', 'zoo:cnn', '--json', '--format', 'table']),
      ...commands.map((command) => runCliAsync([command, '--help'])),
    ]);
    expect(viaJson.stdout).toBe(viaFormat.stdout);
    expect(viaJson.stderr).toBe('');
    // report reads files only: it starts no backend, so it has none to name, table or not.
    expect(table.code).toBe(0);
    expect(table.stderr).not.toContain('backend:');

    expect(cost.code, cost.stderr).toBe(0);
    expect(JSON.parse(cost.stdout).totals.flops).toBe(SEED_FLOPS);
    expect(cost.stderr).toBe('');
    expect(costTable.stderr).toContain('backend: cpu');

    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--json and --format "table" ask for two different outputs');
    helps.forEach((help, i) => expect(help.stdout, commands[i]).toContain('--json'));
  });
});

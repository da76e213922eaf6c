import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MorphnetError } from '../errors.js';
import { writeFileAtomic } from './atomic.js';
import { interruptOpenRunDirs, requireStage, RunDir } from './run-dir.js';

const tempDir = () => mkdtempSync(join(tmpdir(), 'morphnet-run-'));

describe('run dir', () => {
  it('writes run.json and records stage status', () => {
    const root = join(tempDir(), 'run');
    const run = RunDir.open(root, '0.0.0');
    run.markStage('shrink', 'running');
    run.markStage('shrink', 'complete');
    run.close();
    const manifest = JSON.parse(readFileSync(join(root, 'run.json'), 'utf8'));
    expect(manifest.stages.shrink.status).toBe('complete');
    expect(existsSync(join(root, 'run.lock'))).toBe(false);
  });

  it('lets only one process hold a run dir, and takes over the lock of a dead one', () => {
    const root = tempDir();
    const first = RunDir.open(root, '0.0.0');
    expect(() => RunDir.open(root, '0.0.0')).toThrow(/is in use by process/);
    first.close();
    // A lock left by a process that has exited (a killed run).
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    writeFileSync(join(root, 'run.lock'), JSON.stringify({ pid: Number(dead), host: hostname() }));
    RunDir.open(root, '0.0.0').close();
  });

  it('refuses to overwrite a finished stage without --force', () => {
    const run = RunDir.open(tempDir(), '0.0.0');
    run.markStage('expand', 'complete');
    expect(() => run.assertStageWritable('expand', false)).toThrow(/already complete.*/);
    expect(() => run.assertStageWritable('expand', true)).not.toThrow();
    run.close();
  });

  it('names what is missing when a stage is required', () => {
    const root = tempDir();
    expect(() => requireStage(root, 'shrink', 'run morphnet shrink first')).toThrow(MorphnetError);
    const run = RunDir.open(root, '0.0.0');
    run.markStage('shrink', 'running');
    run.close();
    expect(() => requireStage(root, 'shrink', 'run morphnet shrink first')).toThrow(/status: running/);
  });

  it('writes atomically: no temp files left, content replaced whole', () => {
    const dir = tempDir();
    writeFileAtomic(join(dir, 'a.json'), 'one');
    writeFileAtomic(join(dir, 'a.json'), 'two');
    expect(readFileSync(join(dir, 'a.json'), 'utf8')).toBe('two');
    expect(readdirSync(dir)).toEqual(['a.json']);
  });
});

describe('redoing a stage', () => {
  it('forgets it and every later stage, and a redone shrink drops the seed model', () => {
    const root = tempDir();
    const run = RunDir.open(root, '0.0.0');
    for (const stage of ['shrink', 'expand', 'retrain', 'baseline'] as const) {
      run.markStage(stage, 'complete');
      writeFileAtomic(join(root, stage, 'result.json'), '{}');
    }
    writeFileAtomic(join(root, 'seed/model.json'), '{}');
    writeFileAtomic(join(root, 'report.json'), '{}');
    run.resetFrom('expand');
    expect(Object.keys(run.info.stages)).toEqual(['shrink']);
    expect(existsSync(join(root, 'shrink/result.json'))).toBe(true);
    expect(existsSync(join(root, 'expand'))).toBe(false);
    expect(existsSync(join(root, 'baseline'))).toBe(false);
    expect(existsSync(join(root, 'report.json'))).toBe(false);
    expect(existsSync(join(root, 'seed/model.json'))).toBe(true);
    run.resetFrom('shrink');
    expect(run.info.stages).toEqual({});
    expect(existsSync(join(root, 'seed'))).toBe(false);
    run.close();
  });
});

describe('the hint of a missing stage names a complete command', () => {
  const hintOf = (action: () => unknown): string => {
    try {
      action();
    } catch (error) {
      return (error as MorphnetError).hint ?? '';
    }
    throw new Error('expected an error');
  };

  it('a run dir that does not exist: shrink, with the config it needs (-c CONFIG), whatever stage was asked for', () => {
    const root = join(tempDir(), 'never-made');
    const shrink = `run morphnet shrink -c CONFIG -r ${root} (CONFIG is your experiment config) first`;
    expect(hintOf(() => requireStage(root, 'shrink'))).toBe(shrink);
    expect(hintOf(() => requireStage(root, 'expand'))).toBe(shrink);
    expect(hintOf(() => requireStage(root, 'retrain'))).toBe(shrink);
  });

  it('after shrink: expand with its budget; after expand: retrain, or retrain --baseline uniform', () => {
    const root = tempDir();
    const run = RunDir.open(root, '0.0.0');
    run.markStage('shrink', 'complete');
    expect(hintOf(() => requireStage(root, 'retrain'))).toBe(`run morphnet expand -r ${root} --target-flops N (N is the FLOP budget, e.g. 5M) first`);
    run.markStage('expand', 'complete');
    expect(hintOf(() => requireStage(root, 'retrain'))).toBe(`run morphnet retrain -r ${root} first`);
    expect(hintOf(() => requireStage(root, 'baseline'))).toBe(`run morphnet retrain -r ${root} --baseline uniform first`);
    run.close();
  });

  it('a stage that failed: its message in the error, and the command that resumes it', () => {
    const root = tempDir();
    const run = RunDir.open(root, '0.0.0');
    run.markStage('shrink', 'running');
    run.markStage('shrink', 'failed', 'the loss became NaN at step 7');
    run.close();
    expect(() => requireStage(root, 'shrink')).toThrow(`${root} has no completed shrink stage (status: failed: the loss became NaN at step 7)`);
    expect(hintOf(() => requireStage(root, 'expand'))).toBe(`run morphnet shrink -c CONFIG -r ${root} (CONFIG is your experiment config) to resume shrink from its last checkpoint`);
  });

  it('quotes a run dir the shell would split, so the command runs as printed', () => {
    const root = join(tempDir(), "my runs/bob's");
    expect(hintOf(() => requireStage(root, 'shrink'))).toContain(`-r '${root.replace("'", `'\\''`)}'`);
  });
});

describe('redoing a stage removes its exports too, and says what it removed', () => {
  it('expand: the retrained models, their exports and the report; the pruned export (from shrink) stays', () => {
    const root = tempDir();
    const run = RunDir.open(root, '0.0.0');
    for (const stage of ['shrink', 'expand', 'retrain'] as const) run.markStage(stage, 'complete');
    for (const file of ['expand/structure.json', 'retrain/result.json', 'report.json', 'export/retrain.keras', 'export/retrain-tfjs/model.json', 'export/pruned.h5']) {
      writeFileAtomic(join(root, file), '{}');
    }
    // expand/ is removed too, but it is what expand writes again: not among the results the user loses.
    const removed = run.resetFrom('expand');
    expect(existsSync(join(root, 'expand'))).toBe(false);
    expect(removed.sort()).toEqual(['export/retrain-tfjs', 'export/retrain.keras', 'report.json', 'retrain'].map((path) => join(root, path)));
    expect(readdirSync(join(root, 'export'))).toEqual(['pruned.h5']);
    // Nothing left to remove: nothing named.
    expect(run.resetFrom('expand')).toEqual([]);
    run.close();
  });

  it('retrain --force: its folder, its exports and the report, not the baseline', () => {
    const root = tempDir();
    const run = RunDir.open(root, '0.0.0');
    for (const file of ['retrain/result.json', 'baseline/result.json', 'report.html', 'export/retrain.h5', 'export/baseline.h5']) writeFileAtomic(join(root, file), '{}');
    expect(run.redo('retrain').sort()).toEqual(['export/retrain.h5', 'report.html'].map((path) => join(root, path)));
    expect(existsSync(join(root, 'retrain'))).toBe(false);
    expect(existsSync(join(root, 'baseline/result.json'))).toBe(true);
    run.close();
  });
});

describe('an interrupted process (Ctrl-C)', () => {
  it('marks the running stage interrupted with the reason, releases the lock, and the stage stays resumable', () => {
    const root = tempDir();
    const run = RunDir.open(root, '0.0.0');
    run.markStage('shrink', 'complete');
    run.markStage('retrain', 'running');
    expect(interruptOpenRunDirs('interrupted by SIGINT (Ctrl-C)')).toEqual([{ root, stages: ['retrain'] }]);
    const manifest = JSON.parse(readFileSync(join(root, 'run.json'), 'utf8'));
    expect(manifest.stages.retrain).toMatchObject({ status: 'interrupted', error: 'interrupted by SIGINT (Ctrl-C)' });
    expect(manifest.stages.shrink.status).toBe('complete');
    expect(existsSync(join(root, 'run.lock'))).toBe(false);
    // Closed: a second interrupt finds nothing open; the run dir opens again, and a finished stage is not "interrupted".
    expect(interruptOpenRunDirs('interrupted by SIGTERM')).toEqual([]);
    const again = RunDir.open(root, '0.0.0');
    again.assertStageWritable('retrain', false);
    again.markStage('retrain', 'running');
    again.markStage('retrain', 'complete');
    again.close();
    expect(JSON.parse(readFileSync(join(root, 'run.json'), 'utf8')).stages.retrain.status).toBe('complete');
  });
});

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MorphnetError } from '../errors.js';
import { writeFileAtomic } from './atomic.js';
import { requireStage, RunDir } from './run-dir.js';

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

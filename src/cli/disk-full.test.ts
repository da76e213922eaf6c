import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { shrinkStage, type ShrinkProgress } from '../stages/shrink.js';
import { renderError } from './errors.js';

// The disk "fills up" when `disk.full` is set: every write(2) through fs.writeSync fails as Node
// reports it, with a code and syscall but no path (a write on a file descriptor).
const disk = vi.hoisted(() => ({ full: false, atStep: 0 }));
vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs')>();
  const writeSync = ((...args: Parameters<typeof actual.writeSync>) => {
    if (disk.full) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { errno: -28, code: 'ENOSPC', syscall: 'write' });
    return actual.writeSync(...args);
  }) as typeof actual.writeSync;
  return { ...actual, writeSync, default: { ...actual, writeSync } };
});

/** Every file under `dir`, relative to it. */
const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1));

describe('a shrink whose disk fills up while it writes a checkpoint', () => {
  it('tells the user the path and the fix (exit 1), leaves no partial file, and the same command resumes once space is back', async () => {
    const runDir = mkdtempSync(join(tmpdir(), 'morphnet-disk-full-'));
    // 64 samples, no validation, batch 16: 4 steps per epoch; 8 steps; checkpoints at step 4 (and 8, the end).
    const request = {
      overrides: {
        backend: 'wasm',
        model: { zoo: 'cnn', options: { width: 0.25 } },
        data: { dataset: 'synthetic', samples: 64, validationSplit: 0, batchSize: 16 },
        shrink: { steps: 8, checkpointEvery: 4, exportEvery: 100, strength: 'auto' },
      },
      runDir,
      toolVersion: 'test',
    };
    // The disk fills up once step 8 is logged: the next write(2) is the end-of-run checkpoint's.
    const fillDiskAtStep = (step: number) => (progress: ShrinkProgress) => {
      if (progress.step === step) disk.full = true;
    };

    const error = await shrinkStage(request, { step: fillDiskAtStep(8) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    disk.full = false;

    const checkpoint = join(runDir, 'shrink/checkpoint');
    const { text, exitCode } = renderError(error);
    expect(exitCode).toBe(1);
    expect(text.split('\n')[0]).toBe(`error: write ${join(checkpoint, '.step-000008.tmp/weights.bin')} failed: no space left on the device (ENOSPC)`);
    expect(text).toContain('hint: free space on that disk');
    expect(text).toContain('rerun the same command');
    // Nothing half-written: no temp files, no staging folder; the step-4 checkpoint is still the latest.
    expect(filesUnder(runDir).filter((file) => file.includes('.tmp'))).toEqual([]);
    expect(readdirSync(checkpoint).sort()).toEqual(['latest.json', 'step-000004']);
    expect(JSON.parse(readFileSync(join(checkpoint, 'latest.json'), 'utf8')).position.step).toBe(4);
    // run.json could not record the failure on the full disk; the stage stays resumable.
    expect(JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')).stages.shrink.status).toBe('running');
    expect(existsSync(join(runDir, 'run.lock'))).toBe(false);

    const resumed = await shrinkStage(request);
    expect(resumed.resumedAt).toBe(4);
    expect(resumed.steps).toBe(8);
    expect(resumed.valAccuracy).toBeUndefined();
    const stepLines = readFileSync(join(runDir, 'shrink/metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
      .filter((record) => record.loss !== undefined);
    expect(stepLines.map((record) => record.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')).stages.shrink.status).toBe('complete');
  });
});

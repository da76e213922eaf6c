import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian's python3, where python3-torch installs torch (a pyenv python on PATH may lack it). */
export const PYTHON = '/usr/bin/python3';

/** gamma_flops.py beside this file when run from bench/ (vitest), or in the source tree when run from dist/bench/. */
function scriptPath(): string {
  const beside = join(import.meta.dirname, 'gamma_flops.py');
  return existsSync(beside) ? beside : join(import.meta.dirname, '../../../bench/reference/gamma_flops.py');
}

/** Why the PyTorch reference cannot run here, or undefined when it can. */
export function torchMissing(): string | undefined {
  if (!existsSync(PYTHON)) return `${PYTHON} does not exist: apt-get install python3 python3-torch`;
  const probe = spawnSync(PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8' });
  if (probe.status !== 0) return `${PYTHON} cannot import torch (${probe.stderr.trim().split('\n').at(-1)}): apt-get install -y --no-install-recommends python3-torch`;
  return undefined;
}

/**
 * Starts one job of the PyTorch reference (bench/reference/gamma_flops.py, see its docstring for
 * the keys) in a child process and resolves to the JSON objects it prints, one per line. Its
 * output goes to a file, so the child never waits on a busy parent: start it, do our side's
 * work, then await it.
 */
export function startTorchReference<T>(job: Record<string, unknown>): Promise<T[]> {
  const missing = torchMissing();
  if (missing) return Promise.reject(new Error(`the PyTorch reference needs torch: ${missing}`));
  const directory = mkdtempSync(join(tmpdir(), 'morphnet-torch-job-'));
  const jobPath = join(directory, 'job.json');
  const outPath = join(directory, 'out.jsonl');
  const errPath = join(directory, 'err.txt');
  writeFileSync(jobPath, JSON.stringify(job));
  const out = openSync(outPath, 'w');
  const err = openSync(errPath, 'w');
  const child = spawn(PYTHON, [scriptPath(), jobPath], { stdio: ['ignore', out, err] });
  closeSync(out);
  closeSync(err);
  return new Promise<T[]>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        if (code !== 0) throw new Error(`the PyTorch reference failed (exit ${code}): ${readFileSync(errPath, 'utf8')}`);
        const lines = readFileSync(outPath, 'utf8').trim().split('\n').filter(Boolean);
        resolve(lines.map((line) => JSON.parse(line) as T));
      } catch (error) {
        reject(error);
      } finally {
        rmSync(directory, { recursive: true, force: true });
      }
    });
  });
}

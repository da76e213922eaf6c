import { spawnSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '../..');
export const CLI = join(ROOT, 'dist/src/cli/main.js');
export const SHARED_MODELS = join(ROOT, '../shared/models');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as a user would, with stdout not a terminal. */
export function runCli(args: string[], options: { cwd?: string; timeoutMs?: number } = {}): CliResult {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd: options.cwd ?? ROOT, encoding: 'utf8', timeout: options.timeoutMs ?? 300_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

export function startCli(args: string[], cwd = ROOT): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
}

export const tempDir = (prefix = 'morphnet-e2e-') => mkdtempSync(join(tmpdir(), prefix));

/** No stack frames in what a user sees. */
export const hasStackTrace = (text: string) => /\n\s+at .+\(.+:\d+:\d+\)/.test(text);

/** Polls until `predicate` holds (e.g. a checkpoint file appears), or fails after `timeoutMs`. */
export function waitFor(predicate: () => boolean, timeoutMs: number): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const poll = setInterval(() => {
      if (predicate()) {
        clearInterval(poll);
        resolve();
      } else if (Date.now() - started > timeoutMs) {
        clearInterval(poll);
        reject(new Error(`timed out after ${timeoutMs} ms`));
      }
    }, 20);
  });
}

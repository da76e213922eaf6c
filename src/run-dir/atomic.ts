import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';

let counter = 0;

/**
 * Runs `write`, and names `path` on an operating-system error that Node reports without one
 * (a `write` or `fsync` on a file descriptor), so the CLI can tell the user which file on which
 * disk failed.
 */
export function withWritePath<T>(path: string, write: () => T): T {
  try {
    return write();
  } catch (error) {
    const systemError = error as NodeJS.ErrnoException;
    if (error instanceof Error && typeof systemError.code === 'string' && systemError.path === undefined) systemError.path = path;
    throw error;
  }
}

/**
 * Writes a file so that readers see either the old content or the new, never a truncated one:
 * write a temp file in the same directory, fsync, rename over the target. On failure (a full
 * disk) the temp file is removed and the target keeps its old content; the error names the target.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  withWritePath(path, () => writeThroughTempFile(path, data));
}

function writeThroughTempFile(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${counter++}.tmp`);
  try {
    const fd = openSync(temp, 'w');
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data) : data;
      let written = 0;
      while (written < bytes.byteLength) written += writeSync(fd, bytes, written, bytes.byteLength - written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    // The temp file is ours, not the user's: name the file they asked for.
    if ((error as NodeJS.ErrnoException).path === temp) (error as NodeJS.ErrnoException).path = path;
    throw error;
  }
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

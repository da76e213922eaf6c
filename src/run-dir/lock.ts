import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { runDirError } from '../errors.js';
import { withWritePath } from './atomic.js';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * An exclusive lock file (created with O_EXCL). A lock left by a process that no longer runs on
 * this host (a killed run) is taken over; a live one is an error naming its pid.
 */
export function acquireLock(lockPath: string, runDir: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx');
      try {
        withWritePath(lockPath, () => writeSync(fd, JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() })));
      } catch (writeError) {
        closeSync(fd);
        rmSync(lockPath, { force: true });
        throw writeError;
      }
      closeSync(fd);
      let released = false;
      return () => {
        if (!released) rmSync(lockPath, { force: true });
        released = true;
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let holder: { pid?: number; host?: string } = {};
      try {
        holder = JSON.parse(readFileSync(lockPath, 'utf8'));
      } catch {
        // An empty or torn lock file: its writer died between create and write.
      }
      const stale = holder.pid === undefined || (holder.host === hostname() && !processAlive(holder.pid));
      if (!stale) {
        throw runDirError(
          `run dir ${runDir} is in use by process ${holder.pid} on ${holder.host}`,
          `wait for it to finish, or use another --run-dir; if that process is gone, delete ${lockPath}`,
        );
      }
      rmSync(lockPath, { force: true });
    }
  }
  throw runDirError(`could not lock run dir ${runDir}`, `delete ${lockPath} if no morphnet process uses it`);
}

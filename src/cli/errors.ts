import { MorphnetError } from '../errors.js';

const RERUN = 'then rerun the same command: shrink, retrain and run resume from their last checkpoint (nothing written before is lost)';

/** Operating-system errors a user can fix, by Node's error code: what happened and what to do. */
const FIXABLE_SYSTEM_ERRORS: Record<string, { what: string; fix: string }> = {
  ENOSPC: { what: 'no space left on the device', fix: `free space on that disk (or point --run-dir at a disk with room), ${RERUN}` },
  EDQUOT: { what: 'the disk quota is exceeded', fix: `free space within your quota on that disk (or point --run-dir elsewhere), ${RERUN}` },
  EACCES: { what: 'permission denied', fix: `make the path readable and writable by this user (ls -l shows its owner and mode), or point --run-dir at a folder you own, ${RERUN}` },
  EPERM: { what: 'the operation is not permitted', fix: `check the path's owner and permissions (and that no other program holds it locked), ${RERUN}` },
  EROFS: { what: 'the file system is read-only', fix: `point --run-dir (or the output path) at a writable disk, ${RERUN}` },
  EMFILE: { what: 'this process has too many open files', fix: `raise the open-file limit (e.g. ulimit -n 4096), ${RERUN}` },
  ENFILE: { what: 'the system has too many open files', fix: `close other programs or raise the system's open-file limit (fs.file-max), ${RERUN}` },
};

interface SystemError {
  code: string;
  syscall?: string;
  path?: string;
  dest?: string;
}

const isSystemError = (error: unknown): error is Error & SystemError => error instanceof Error && typeof (error as Partial<SystemError>).code === 'string';

/**
 * A Node system error the user can fix (disk full, permissions, read-only disk, too many open
 * files) as a MorphnetError (exit 1) that names the path and the fix; undefined for any other error.
 */
export function fixableSystemError(error: unknown): MorphnetError | undefined {
  if (!isSystemError(error)) return undefined;
  const known = FIXABLE_SYSTEM_ERRORS[error.code];
  if (!known) return undefined;
  const operation = error.syscall ?? 'file operation';
  const target = error.path === undefined ? '' : ` ${error.path}${error.dest ? ` -> ${error.dest}` : ''}`;
  return new MorphnetError('runtime', `${operation}${target} failed: ${known.what} (${error.code})`, known.fix);
}

/** Renders any error for a person: message and hint, never a stack (unless MORPHNET_DEBUG=1). */
export function renderError(error: unknown): { text: string; exitCode: number } {
  const known = error instanceof MorphnetError ? error : fixableSystemError(error);
  if (known) {
    const hint = known.hint ? `\nhint: ${known.hint}` : '';
    return { text: `error: ${known.message}${hint}`, exitCode: known.exitCode };
  }
  const err = error instanceof Error ? error : new Error(String(error));
  const detail = process.env.MORPHNET_DEBUG ? `\n${err.stack}` : '';
  return {
    text: `error: ${err.message}${detail}\nhint: this is unexpected; rerun with MORPHNET_DEBUG=1 for a stack trace and report it`,
    exitCode: 1,
  };
}

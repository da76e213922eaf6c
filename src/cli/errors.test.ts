import { describe, expect, it } from 'vitest';
import { MorphnetError } from '../errors.js';
import { fixableSystemError, renderError } from './errors.js';

/** An error as Node's fs raises it: message "CODE: description, syscall 'path'", with code, syscall and (often) path. */
function systemError(code: string, syscall: string, path?: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: failed, ${syscall}${path ? ` '${path}'` : ''}`), { code, syscall, ...(path ? { path } : {}) });
}

describe('renderError', () => {
  it('reports a full disk as such: the operation, the path, the code, and to free space and rerun; exit 1', () => {
    const { text, exitCode } = renderError(systemError('ENOSPC', 'write', '/runs/a/shrink/checkpoint/.step-000200.tmp/weights.bin'));
    expect(exitCode).toBe(1);
    expect(text).toBe(
      'error: write /runs/a/shrink/checkpoint/.step-000200.tmp/weights.bin failed: no space left on the device (ENOSPC)\n' +
        'hint: free space on that disk (or point --run-dir at a disk with room), then rerun the same command: shrink, retrain and run resume from their last checkpoint (nothing written before is lost)',
    );
    expect(text).not.toContain('unexpected');
  });

  it.each([
    ['EACCES', 'open', 'permission denied', 'readable and writable by this user'],
    ['EPERM', 'rename', 'the operation is not permitted', 'owner and permissions'],
    ['EROFS', 'mkdir', 'the file system is read-only', 'writable disk'],
    ['EMFILE', 'open', 'this process has too many open files', 'ulimit -n'],
    ['ENFILE', 'open', 'the system has too many open files', 'open-file limit'],
  ])('reports %s (%s) as "%s" with the fix, exit 1', (code, syscall, what, fix) => {
    const { text, exitCode } = renderError(systemError(code, syscall, '/runs/a/run.json'));
    expect(exitCode).toBe(1);
    expect(text.split('\n')[0]).toBe(`error: ${syscall} /runs/a/run.json failed: ${what} (${code})`);
    expect(text).toContain(fix);
    expect(text).toContain('rerun the same command');
  });

  it('names both paths of a rename, and says what it can when Node gives no path', () => {
    const rename = Object.assign(systemError('EACCES', 'rename', '/a/.x.tmp'), { dest: '/a/x' });
    expect(fixableSystemError(rename)!.message).toBe('rename /a/.x.tmp -> /a/x failed: permission denied (EACCES)');
    expect(fixableSystemError(systemError('ENOSPC', 'write'))!.message).toBe('write failed: no space left on the device (ENOSPC)');
  });

  it('leaves other errors alone: a MorphnetError keeps its kind, an unknown code is unexpected', () => {
    expect(renderError(new MorphnetError('budget', 'too small', 'raise it'))).toEqual({ text: 'error: too small\nhint: raise it', exitCode: 3 });
    expect(fixableSystemError(systemError('ENOENT', 'open', '/x'))).toBeUndefined();
    expect(renderError(systemError('ECONNRESET', 'read')).text).toContain('this is unexpected');
    expect(fixableSystemError(new Error('plain'))).toBeUndefined();
  });
});

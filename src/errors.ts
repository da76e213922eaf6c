/**
 * Errors a person can act on: what happened (with the received value), what was expected,
 * and the fix. The CLI maps each kind to an exit code; nothing else exits.
 */
export type ErrorKind = 'config' | 'usage' | 'unsupported' | 'run-dir' | 'budget' | 'data' | 'model' | 'runtime';

export const EXIT_CODES: Record<ErrorKind, number> = {
  config: 2,
  usage: 2,
  unsupported: 2,
  'run-dir': 2,
  data: 2,
  model: 2,
  budget: 3,
  runtime: 1,
};

export class MorphnetError extends Error {
  readonly kind: ErrorKind;
  readonly hint: string | undefined;

  constructor(kind: ErrorKind, message: string, hint?: string) {
    super(message);
    this.name = 'MorphnetError';
    this.kind = kind;
    this.hint = hint;
  }

  get exitCode(): number {
    return EXIT_CODES[this.kind];
  }
}

export const configError = (message: string, hint?: string) => new MorphnetError('config', message, hint);
export const usageError = (message: string, hint?: string) => new MorphnetError('usage', message, hint);
export const dataError = (message: string, hint?: string) => new MorphnetError('data', message, hint);
export const modelError = (message: string, hint?: string) => new MorphnetError('model', message, hint);
export const runDirError = (message: string, hint?: string) => new MorphnetError('run-dir', message, hint);

/** A short, readable rendering of a received value for error messages. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value);
  const text = JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

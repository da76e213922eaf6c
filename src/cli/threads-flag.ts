import { requestThreads } from '../backend/select.js';
import { describeValue, usageError } from '../errors.js';

/**
 * `--threads N` of commands that train without a config flag set (run, retrain, sweep). Apart
 * from output.ts because it loads the backend module (and tfjs) that `report` never needs.
 */
export function applyThreadsFlag(text: string | undefined): void {
  if (text === undefined) return;
  const threads = Number(text);
  if (!Number.isInteger(threads) || threads < 1) throw usageError(`--threads: expected a positive integer, received ${describeValue(text)}`, 'e.g. --threads 2 (default: all cores)');
  requestThreads(threads);
}

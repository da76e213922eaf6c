import { requestThreads } from '../backend/select.js';
import { positiveIntegerFlag } from './integer-flag.js';

/**
 * `--threads N` of commands that train without a config flag set (run, retrain, sweep). Apart
 * from output.ts because it loads the backend module (and tfjs) that `report` never needs.
 */
export function applyThreadsFlag(text: string | undefined): void {
  if (text === undefined) return;
  requestThreads(positiveIntegerFlag('--threads', text, '2 (default: all cores)'));
}

import { describeValue, usageError } from '../errors.js';

/**
 * Whether a command prints JSON. `--json` is the one convention on every command; `--format json`
 * stays on report and cost as its alias. `--json` with another --format that prints to stdout
 * (table) asks for two outputs at once, which is a usage error.
 */
export function wantsJson(flags: { json?: boolean; format?: string }, command: string): boolean {
  if (flags.json && flags.format === 'table') {
    throw usageError(`morphnet ${command}: --json and --format ${describeValue(flags.format)} ask for two different outputs`, `pass --json alone for JSON, or --format table alone for the table`);
  }
  return Boolean(flags.json) || flags.format === 'json';
}

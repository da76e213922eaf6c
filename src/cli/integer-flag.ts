import { describeValue, usageError } from '../errors.js';

/** A flag's value as a positive integer, or exit 2 naming the flag, what it received and an example (`e.g. FLAG EXAMPLE`). */
export function positiveIntegerFlag(flag: string, text: string | undefined, example: string, expected = 'a positive integer'): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw usageError(`${flag}: expected ${expected}, received ${describeValue(text)}`, `e.g. ${flag} ${example}`);
  return value;
}

/** A key whose value differs between two configs. */
export interface ConfigDifference {
  path: string;
  before: unknown;
  after: unknown;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Equal as JSON values, whatever the order of object keys. */
export function sameValue(a: unknown, b: unknown): boolean {
  return configDifferences(a, b).length === 0;
}

/**
 * The dotted keys whose values differ between two JSON-like configs (objects are compared key by
 * key, lists and scalars as whole values), in the order of `before`'s keys, then `after`'s new ones.
 */
export function configDifferences(before: unknown, after: unknown, path = ''): ConfigDifference[] {
  if (isRecord(before) && isRecord(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return keys.flatMap((key) => configDifferences(before[key], after[key], path ? `${path}.${key}` : key));
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length && before.every((item, i) => sameValue(item, after[i]))) return [];
  return Object.is(before, after) || (before === undefined && after === undefined) ? [] : [{ path: path || '(top level)', before, after }];
}

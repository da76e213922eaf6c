import { studentTQuantile } from './t-distribution.js';

export const mean = (values: number[]): number => values.reduce((sum, value) => sum + value, 0) / values.length;

/** The sample standard deviation (n - 1 in the denominator); undefined for fewer than 2 values. */
export function sampleStd(values: number[]): number | undefined {
  if (values.length < 2) return undefined;
  const center = mean(values);
  return Math.sqrt(values.reduce((sum, value) => sum + (value - center) ** 2, 0) / (values.length - 1));
}

/** Mean and spread of one arm at one budget over its seeds. */
export interface Spread {
  n: number;
  mean: number;
  /** Sample standard deviation; absent for a single seed. */
  std?: number;
}

export function spread(values: number[]): Spread {
  const std = sampleStd(values);
  return { n: values.length, mean: mean(values), ...(std !== undefined ? { std } : {}) };
}

/** A mean difference with its two-sided confidence interval (Student t, df = n - 1). */
export interface PairedDifference extends Spread {
  /** The confidence level, 0.95. */
  level: number;
  /** Absent for a single pair (no spread to estimate). */
  t?: number;
  halfWidth?: number;
  low?: number;
  high?: number;
}

/**
 * The mean of paired differences a_i - b_i and its confidence interval:
 * mean +- t(1 - (1 - level) / 2, n - 1) * sd / sqrt(n).
 */
export function pairedDifference(pairs: Array<{ a: number; b: number }>, level = 0.95): PairedDifference {
  if (pairs.length === 0) throw new RangeError('pairedDifference: expected at least one pair');
  const differences = spread(pairs.map((pair) => pair.a - pair.b));
  if (differences.std === undefined) return { ...differences, level };
  const t = studentTQuantile(1 - (1 - level) / 2, differences.n - 1);
  const halfWidth = (t * differences.std) / Math.sqrt(differences.n);
  return { ...differences, level, t, halfWidth, low: differences.mean - halfWidth, high: differences.mean + halfWidth };
}

/**
 * A percentage as users write one: `50%`, `12.5 %`, `150%`. Returns the number before the sign
 * (50 for `50%`), or undefined for anything else (a number, `50`, `%`, `-5%`).
 */
export function parsePercent(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const match = /^\s*(\d+\.?\d*|\.\d+)\s*%\s*$/.exec(text);
  return match ? Number(match[1]) : undefined;
}

/** A fraction as a signed percentage with one decimal: 0.026 -> `+2.6%`, -0.008 -> `-0.8%`. */
export const signedPercent = (fraction: number): string => `${fraction >= 0 ? '+' : ''}${(100 * fraction).toFixed(1)}%`;

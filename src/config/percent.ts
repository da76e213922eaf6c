/**
 * A percentage as users write one: `50%`, `12.5 %`, `150%`. Returns the number before the sign
 * (50 for `50%`), or undefined for anything else (a number, `50`, `%`, `-5%`).
 */
export function parsePercent(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const match = /^\s*(\d+\.?\d*|\.\d+)\s*%\s*$/.exec(text);
  return match ? Number(match[1]) : undefined;
}

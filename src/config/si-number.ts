const SI_FACTORS: Record<string, number> = { k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/**
 * Parses a number with an optional SI suffix: `300M`, `1.2G`, `45k`, `2e6`, `1500`.
 * Returns undefined for anything else.
 */
export function parseSiNumber(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) ? text : undefined;
  const match = /^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*([kKMGT]?)\s*$/.exec(text);
  if (!match) return undefined;
  const value = Number(match[1]) * (match[2] ? SI_FACTORS[match[2]] : 1);
  return Number.isFinite(value) ? value : undefined;
}

/** Formats a count with an SI suffix and 3 significant digits: 568740352 -> "569M". */
export function formatSi(value: number): string {
  const abs = Math.abs(value);
  for (const [suffix, factor] of [['T', 1e12], ['G', 1e9], ['M', 1e6], ['k', 1e3]] as const) {
    if (abs >= factor) return `${Number((value / factor).toPrecision(3))}${suffix}`;
  }
  return `${Number(value.toPrecision(3))}`;
}

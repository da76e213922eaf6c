import { describeValue, usageError } from '../errors.js';

export interface Hardware {
  name: string;
  /** Peak compute, GFLOP/s. */
  peakGflops: number;
  /** Memory bandwidth, GB/s. */
  bandwidthGBps: number;
}

/** MorphNet's hardware table (peak GFLOP/s, bandwidth GB/s). */
export const BUILTIN_HARDWARE: Record<string, Hardware> = {
  K80: { name: 'K80', peakGflops: 8740, bandwidthGBps: 480 },
  P4: { name: 'P4', peakGflops: 5500, bandwidthGBps: 192 },
  T4: { name: 'T4', peakGflops: 8100, bandwidthGBps: 300 },
  P100: { name: 'P100', peakGflops: 9300, bandwidthGBps: 732 },
  V100: { name: 'V100', peakGflops: 125000, bandwidthGBps: 900 },
  TPUv2: { name: 'TPUv2', peakGflops: 22500, bandwidthGBps: 300 },
};

/** Looks a hardware name up in the built-in table and the config's `hardware:` section. */
export function resolveHardware(name: string, custom: Record<string, { peakGflops: number; bandwidthGBps: number }> = {}): Hardware {
  if (custom[name]) return { name, ...custom[name] };
  if (BUILTIN_HARDWARE[name]) return BUILTIN_HARDWARE[name];
  const known = [...Object.keys(BUILTIN_HARDWARE), ...Object.keys(custom)].join(', ');
  throw usageError(`unknown hardware ${describeValue(name)}; known: ${known}`, 'define it in the config under hardware: {NAME: {peakGflops: ..., bandwidthGBps: ...}}');
}

import type { Samples } from './dataset.js';

export type Normalization = 'auto' | 'scale255' | 'standardize' | 'none';

/** Statistics a normalisation needs, computed on the training samples and reused for the others. */
export interface NormalizationPlan {
  kind: Exclude<Normalization, 'auto'>;
  mean?: number;
  std?: number;
}

function maxAbs(values: Float32Array): number {
  let max = 0;
  for (const v of values) if (Math.abs(v) > max) max = Math.abs(v);
  return max;
}

/** `auto`: 8-bit-looking data (max > 1) is divided by 255; data already in [-1, 1] is kept. */
export function planNormalization(kind: Normalization, train: Samples): NormalizationPlan {
  if (kind === 'auto') return { kind: maxAbs(train.x) > 1 ? 'scale255' : 'none' };
  if (kind !== 'standardize') return { kind };
  let sum = 0;
  for (const v of train.x) sum += v;
  const mean = sum / train.x.length;
  let squares = 0;
  for (const v of train.x) squares += (v - mean) ** 2;
  return { kind, mean, std: Math.sqrt(squares / train.x.length) || 1 };
}

export function applyNormalization(plan: NormalizationPlan, samples: Samples): Samples {
  if (plan.kind === 'none') return samples;
  const x = new Float32Array(samples.x.length);
  if (plan.kind === 'scale255') for (let i = 0; i < x.length; i++) x[i] = samples.x[i] / 255;
  else for (let i = 0; i < x.length; i++) x[i] = (samples.x[i] - plan.mean!) / plan.std!;
  return { ...samples, x };
}

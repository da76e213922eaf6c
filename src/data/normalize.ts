import { forEachChunk, transformSamples, type Samples } from './dataset.js';

export type Normalization = 'auto' | 'scale255' | 'standardize' | 'teachable-machine' | 'none';

/** Statistics a normalisation needs, computed on the training samples and reused for the others. */
export interface NormalizationPlan {
  kind: Exclude<Normalization, 'auto'>;
  mean?: number;
  std?: number;
}

/** Samples read per chunk when statistics stream over data not held in memory. */
const STATISTICS_CHUNK = 256;

function maxAbs(samples: Samples): number {
  if (samples.maxValue !== undefined) return samples.maxValue;
  let max = 0;
  forEachChunk(samples, STATISTICS_CHUNK, (values) => {
    for (const v of values) if (Math.abs(v) > max) max = Math.abs(v);
  });
  return max;
}

/**
 * Mean and population standard deviation of every value, one chunk at a time: each chunk's
 * mean m_b and sum of squared deviations s_b (float64) merge as in Chan et al.:
 * delta = m_b - mean, mean += delta * n_b / N', m2 += s_b + delta^2 * N * n_b / N'.
 */
function meanAndStd(samples: Samples): { mean: number; std: number } {
  let count = 0;
  let mean = 0;
  let m2 = 0;
  forEachChunk(samples, STATISTICS_CHUNK, (values) => {
    let sum = 0;
    for (const v of values) sum += v;
    const chunkMean = sum / values.length;
    let squares = 0;
    for (const v of values) squares += (v - chunkMean) ** 2;
    const total = count + values.length;
    const delta = chunkMean - mean;
    mean += (delta * values.length) / total;
    m2 += squares + (delta * delta * count * values.length) / total;
    count = total;
  });
  return { mean, std: Math.sqrt(m2 / count) || 1 };
}

/** `auto`: 8-bit-looking data (max > 1) is divided by 255; data already in [-1, 1] is kept. */
export function planNormalization(kind: Normalization, train: Samples): NormalizationPlan {
  if (kind === 'auto') return { kind: maxAbs(train) > 1 ? 'scale255' : 'none' };
  if (kind !== 'standardize') return { kind };
  return { kind, ...meanAndStd(train) };
}

/** The in-place scaling of one plan. teachable-machine: x / 127 - 1, as Teachable Machine's web library feeds its models. */
function scaling(plan: NormalizationPlan): (values: Float32Array) => void {
  if (plan.kind === 'scale255') return (values) => values.forEach((v, i) => (values[i] = v / 255));
  if (plan.kind === 'teachable-machine') return (values) => values.forEach((v, i) => (values[i] = v / 127 - 1));
  const { mean, std } = plan as Required<NormalizationPlan>;
  return (values) => values.forEach((v, i) => (values[i] = (v - mean) / std));
}

/** The samples as the plan scales them, computed as they are read (nothing is copied). */
export function applyNormalization(plan: NormalizationPlan, samples: Samples): Samples {
  if (plan.kind === 'none') return samples;
  return transformSamples(samples, scaling(plan));
}

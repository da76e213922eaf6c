import type { MorphnetConfig } from '../config/schema.js';

export type ScheduleName = MorphnetConfig['retrain']['schedule'];

/**
 * Learning rate at a step: linear warmup over `warmupSteps`, then constant, step (x0.1 at 1/2
 * and 3/4 of training) or cosine decay to 0.
 */
export function learningRateAt(schedule: ScheduleName, baseRate: number, step: number, totalSteps: number, warmupSteps: number): number {
  if (warmupSteps > 0 && step < warmupSteps) return (baseRate * (step + 1)) / warmupSteps;
  const progress = totalSteps > warmupSteps ? (step - warmupSteps) / (totalSteps - warmupSteps) : 1;
  switch (schedule) {
    case 'constant':
      return baseRate;
    case 'step':
      return baseRate * (progress < 0.5 ? 1 : progress < 0.75 ? 0.1 : 0.01);
    case 'cosine':
      return 0.5 * baseRate * (1 + Math.cos(Math.PI * progress));
  }
}

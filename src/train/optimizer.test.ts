import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { OPTIMIZER_NAMES } from '../config/schema.js';
import { createOptimizer, setLearningRate } from './optimizer.js';

/** One step on loss = w from w = 1 (gradient 1) after the rate was changed from 0.1 to `rate`. */
function weightAfterOneStep(name: (typeof OPTIMIZER_NAMES)[number], rate: number): number {
  const w = tf.variable(tf.scalar(1));
  const optimizer = createOptimizer({ name, learningRate: 0.1 });
  setLearningRate(optimizer, rate);
  optimizer.minimize(() => w.asScalar(), false, [w]);
  const value = w.dataSync()[0];
  w.dispose();
  optimizer.dispose();
  return value;
}

describe('setLearningRate', () => {
  it.each(OPTIMIZER_NAMES)('a rate of 0 stops %s: w stays 1', (name) => {
    expect(weightAfterOneStep(name, 0)).toBe(1);
  });

  it.each(['sgd', 'momentum'] as const)('%s steps with the new rate: w = 1 - 0.5 * 1 = 0.5 (momentum: accumulator = g on step 1)', (name) => {
    expect(weightAfterOneStep(name, 0.5)).toBeCloseTo(0.5, 6);
  });
});

import * as tf from '@tensorflow/tfjs';
import type { OptimizerConfig } from '../config/schema.js';

/** Builds the configured optimizer; the learning rate can be changed later by a schedule. */
export function createOptimizer(config: OptimizerConfig): tf.Optimizer {
  switch (config.name) {
    case 'sgd':
      return tf.train.sgd(config.learningRate);
    case 'momentum':
      return tf.train.momentum(config.learningRate, config.momentum ?? 0.9);
    case 'adam':
      return tf.train.adam(config.learningRate, config.beta1 ?? 0.9, config.beta2 ?? 0.999, config.epsilon ?? 1e-7);
    case 'rmsprop':
      return tf.train.rmsprop(config.learningRate, 0.9, config.momentum ?? 0, config.epsilon ?? 1e-7);
  }
}

/** Sets the learning rate of any tfjs optimizer (they keep it in a `learningRate` field). */
export function setLearningRate(optimizer: tf.Optimizer, learningRate: number): void {
  (optimizer as unknown as { learningRate: number }).learningRate = learningRate;
}

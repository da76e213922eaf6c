import * as tf from '@tensorflow/tfjs';
import type { OptimizerConfig } from '../config/schema.js';
import { FusedMomentumOptimizer } from './fused-momentum.js';

/**
 * Builds the configured optimizer; the learning rate can be changed later by a schedule. On the
 * wasm backend momentum updates each variable in one kernel call, bit for bit as tfjs does
 * (fused-momentum.ts); elsewhere every optimizer is tfjs's own.
 */
export function createOptimizer(config: OptimizerConfig): tf.Optimizer {
  switch (config.name) {
    case 'sgd':
      return tf.train.sgd(config.learningRate);
    case 'momentum':
      if (tf.getBackend() === 'wasm') return new FusedMomentumOptimizer(config.learningRate, config.momentum ?? 0.9);
      return tf.train.momentum(config.learningRate, config.momentum ?? 0.9);
    case 'adam':
      return tf.train.adam(config.learningRate, config.beta1 ?? 0.9, config.beta2 ?? 0.999, config.epsilon ?? 1e-7);
    case 'rmsprop':
      return tf.train.rmsprop(config.learningRate, 0.9, config.momentum ?? 0, config.epsilon ?? 1e-7);
  }
}

/**
 * Sets the learning rate of any tfjs optimizer. SGD and momentum step with a scalar tensor that
 * only their own `setLearningRate` renews (setting the field alone changes nothing); Adam and
 * RMSProp read their `learningRate` field at every step.
 */
export function setLearningRate(optimizer: tf.Optimizer, learningRate: number): void {
  // Not `instanceof tf.SGDOptimizer`: tfjs optimizers answer instanceof for any optimizer class.
  const withSetter = optimizer as unknown as { setLearningRate?: (rate: number) => void; learningRate: number };
  if (typeof withSetter.setLearningRate === 'function') withSetter.setLearningRate(learningRate);
  else withSetter.learningRate = learningRate;
}

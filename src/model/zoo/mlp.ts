import * as tf from '@tensorflow/tfjs';
import { batchNorm, input, scaledWidth, type InitSeeds } from './blocks.js';
import type { ZooOptions } from './options.js';

/** Flatten -> Dense 256 -> BN -> ReLU -> Dense 128 -> BN -> ReLU -> Dense classes (softmax). */
export function mlp(options: ZooOptions, seeds: InitSeeds): tf.LayersModel {
  const x = input(options.inputShape);
  let h = tf.layers.flatten({ name: 'flatten' }).apply(x) as tf.SymbolicTensor;
  for (const [index, units] of [256, 128].entries()) {
    const name = `dense${index + 1}`;
    h = tf.layers.dense({ name, kernelInitializer: seeds.kernel('glorotUniform'), units: scaledWidth(units, options.width), useBias: false }).apply(h) as tf.SymbolicTensor;
    h = batchNorm(h, `${name}_bn`);
    h = tf.layers.reLU({ name: `${name}_relu` }).apply(h) as tf.SymbolicTensor;
  }
  const out = tf.layers.dense({ name: 'predictions', kernelInitializer: seeds.kernel('glorotUniform'), units: options.classes, activation: 'softmax' }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: x, outputs: out, name: 'mlp' });
}

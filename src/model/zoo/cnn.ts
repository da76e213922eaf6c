import * as tf from '@tensorflow/tfjs';
import { classifier, convBn, input, scaledWidth, type InitSeeds } from './blocks.js';
import type { ZooOptions } from './options.js';

/**
 * The MNIST-sized CNN: conv 32 -> conv 64 /2 -> conv 128 /2, each conv-BN-ReLU, then global
 * average pooling and a softmax dense layer.
 */
export function cnn(options: ZooOptions, seeds: InitSeeds): tf.LayersModel {
  const x = input(options.inputShape);
  let h = convBn(x, 'conv1', { filters: scaledWidth(32, options.width), kernelSize: 3 }, seeds);
  h = convBn(h, 'conv2', { filters: scaledWidth(64, options.width), kernelSize: 3, strides: 2 }, seeds);
  h = convBn(h, 'conv3', { filters: scaledWidth(128, options.width), kernelSize: 3, strides: 2 }, seeds);
  return tf.model({ inputs: x, outputs: classifier(h, options.classes, seeds), name: 'cnn' });
}

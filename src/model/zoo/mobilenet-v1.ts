import * as tf from '@tensorflow/tfjs';
import { convBn, depthwiseBn, input, scaledWidth, type InitSeeds } from './blocks.js';
import type { ZooOptions } from './options.js';

/** (pointwise filters, depthwise stride) of MobileNetV1's 13 depthwise-separable blocks. */
const BLOCKS: Array<[number, number]> = [
  [64, 1], [128, 2], [128, 1], [256, 2], [256, 1], [512, 2],
  [512, 1], [512, 1], [512, 1], [512, 1], [512, 1], [1024, 2], [1024, 1],
];

/**
 * MobileNetV1 (Howard et al. 2017) as Keras builds it: conv 3x3/2, 13 blocks of depthwise 3x3
 * + pointwise 1x1 (each with BN and ReLU6, no biases), global pooling, dropout, classifier.
 * At width 1.0, 224x224x3, 1000 classes: 568,740,352 MACs, 4,231,976 trainable parameters.
 */
export function mobilenetV1(options: ZooOptions, seeds: InitSeeds): tf.LayersModel {
  const x = input(options.inputShape);
  let h = convBn(x, 'conv1', { filters: scaledWidth(32, options.width), kernelSize: 3, strides: 2, activation: 'relu6' }, seeds);
  for (const [index, [filters, strides]] of BLOCKS.entries()) {
    const id = index + 1;
    h = depthwiseBn(h, `conv_dw_${id}`, strides, 'relu6', seeds);
    h = convBn(h, `conv_pw_${id}`, { filters: scaledWidth(filters, options.width), kernelSize: 1, activation: 'relu6' }, seeds);
  }
  h = tf.layers.globalAveragePooling2d({ name: 'global_pool' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.dropout({ name: 'dropout', rate: 1e-3 }).apply(h) as tf.SymbolicTensor;
  const out = tf.layers.dense({ name: 'predictions', kernelInitializer: seeds.kernel('glorotUniform'), units: options.classes, activation: 'softmax' }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: x, outputs: out, name: 'mobilenet_v1' });
}

import * as tf from '@tensorflow/tfjs';
import { batchNorm, convBn, input, scaledWidth, type InitSeeds } from './blocks.js';
import type { ZooOptions } from './options.js';

/** VGG-16's 13 convolutions in 5 blocks, each block closed by 2x2 max pooling. */
const BLOCKS = [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]];

/**
 * VGG-16 with BN after every conv (the CIFAR variant: one hidden dense layer of 512 instead of
 * two of 4096), for 32x32 inputs by default. Pooling pads odd sizes ('same'), so inputs that
 * are not multiples of 32 keep a pixel through all five blocks (28x28: 28, 14, 7, 4, 2, 1);
 * at 32x32 it is the same as Keras's 'valid'.
 */
export function vgg16(options: ZooOptions, seeds: InitSeeds): tf.LayersModel {
  const x = input(options.inputShape);
  let h = x;
  for (const [blockIndex, block] of BLOCKS.entries()) {
    for (const [convIndex, filters] of block.entries()) {
      h = convBn(h, `block${blockIndex + 1}_conv${convIndex + 1}`, { filters: scaledWidth(filters, options.width), kernelSize: 3 }, seeds);
    }
    h = tf.layers.maxPooling2d({ name: `block${blockIndex + 1}_pool`, poolSize: 2, padding: 'same' }).apply(h) as tf.SymbolicTensor;
  }
  h = tf.layers.flatten({ name: 'flatten' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.dense({ name: 'fc1', kernelInitializer: seeds.kernel('glorotUniform'), units: scaledWidth(512, options.width), useBias: false }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.reLU({ name: 'fc1_relu' }).apply(batchNorm(h, 'fc1_bn')) as tf.SymbolicTensor;
  const out = tf.layers.dense({ name: 'predictions', kernelInitializer: seeds.kernel('glorotUniform'), units: options.classes, activation: 'softmax' }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: x, outputs: out, name: 'vgg16' });
}

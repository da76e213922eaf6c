import * as tf from '@tensorflow/tfjs';
import { classifier, convBn, input, scaledWidth, type InitSeeds } from './blocks.js';
import type { ZooOptions } from './options.js';

/**
 * CIFAR ResNet (He et al. 2016, section 4.2): a 3x3 conv, three stages of `blocksPerStage`
 * basic blocks at 16/32/64 channels (stride 2 between stages, projection shortcut 1x1 conv + BN
 * where the shape changes), global average pooling, softmax. Depth = 6 * blocksPerStage + 2.
 */
export function cifarResnet(options: ZooOptions, depth: number, seeds: InitSeeds): tf.LayersModel {
  return residualNet(options, `resnet${depth}`, [16, 32, 64], (depth - 2) / 6, seeds);
}

/** The small ResNet of the train-step bench: a 64-channel conv and two basic blocks at 64 channels, full resolution. */
export function smallResnet(options: ZooOptions, seeds: InitSeeds): tf.LayersModel {
  return residualNet(options, 'resnet_small', [64], 2, seeds);
}

function residualNet(options: ZooOptions, name: string, stageChannels: number[], blocksPerStage: number, seeds: InitSeeds): tf.LayersModel {
  const x = input(options.inputShape);
  let h = convBn(x, 'conv1', { filters: scaledWidth(stageChannels[0], options.width), kernelSize: 3 }, seeds);
  let channels = scaledWidth(stageChannels[0], options.width);
  for (let stage = 0; stage < stageChannels.length; stage++) {
    const filters = scaledWidth(stageChannels[stage], options.width);
    for (let block = 0; block < blocksPerStage; block++) {
      const name = `stage${stage + 1}_block${block + 1}`;
      const strides = stage > 0 && block === 0 ? 2 : 1;
      let residual = convBn(h, `${name}_conv1`, { filters, kernelSize: 3, strides }, seeds);
      residual = convBn(residual, `${name}_conv2`, { filters, kernelSize: 3, activation: 'none' }, seeds);
      const shortcut =
        strides !== 1 || channels !== filters
          ? convBn(h, `${name}_shortcut`, { filters, kernelSize: 1, strides, activation: 'none' }, seeds)
          : h;
      h = tf.layers.add({ name: `${name}_add` }).apply([shortcut, residual]) as tf.SymbolicTensor;
      h = tf.layers.reLU({ name: `${name}_out` }).apply(h) as tf.SymbolicTensor;
      channels = filters;
    }
  }
  return tf.model({ inputs: x, outputs: classifier(h, options.classes, seeds), name });
}

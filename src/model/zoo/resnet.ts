import * as tf from '@tensorflow/tfjs';
import { classifier, convBn, input, scaledWidth } from './blocks.js';
import type { ZooOptions } from './options.js';

/**
 * CIFAR ResNet (He et al. 2016, section 4.2): a 3x3 conv, three stages of `blocksPerStage`
 * basic blocks at 16/32/64 channels (stride 2 between stages, projection shortcut 1x1 conv + BN
 * where the shape changes), global average pooling, softmax. Depth = 6 * blocksPerStage + 2.
 */
export function cifarResnet(options: ZooOptions, depth: number): tf.LayersModel {
  const blocksPerStage = (depth - 2) / 6;
  const x = input(options.inputShape);
  let h = convBn(x, 'conv1', { filters: scaledWidth(16, options.width), kernelSize: 3 });
  let channels = scaledWidth(16, options.width);
  for (let stage = 0; stage < 3; stage++) {
    const filters = scaledWidth(16 * 2 ** stage, options.width);
    for (let block = 0; block < blocksPerStage; block++) {
      const name = `stage${stage + 1}_block${block + 1}`;
      const strides = stage > 0 && block === 0 ? 2 : 1;
      let residual = convBn(h, `${name}_conv1`, { filters, kernelSize: 3, strides });
      residual = convBn(residual, `${name}_conv2`, { filters, kernelSize: 3, activation: 'none' });
      const shortcut =
        strides !== 1 || channels !== filters
          ? convBn(h, `${name}_shortcut`, { filters, kernelSize: 1, strides, activation: 'none' })
          : h;
      h = tf.layers.add({ name: `${name}_add` }).apply([shortcut, residual]) as tf.SymbolicTensor;
      h = tf.layers.reLU({ name: `${name}_out` }).apply(h) as tf.SymbolicTensor;
      channels = filters;
    }
  }
  return tf.model({ inputs: x, outputs: classifier(h, options.classes), name: `resnet${depth}` });
}

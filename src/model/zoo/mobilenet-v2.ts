import * as tf from '@tensorflow/tfjs';
import { classifier, convBn, depthwiseBn, input, makeDivisible, type InitSeeds } from './blocks.js';
import type { ZooOptions } from './options.js';

/** (expansion t, output channels c, repeats n, first stride s), from the MobileNetV2 paper's table 2. */
const STAGES: Array<[number, number, number, number]> = [
  [1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1],
];

/**
 * MobileNetV2 (Sandler et al. 2018): inverted residual blocks (1x1 expand, 3x3 depthwise,
 * 1x1 linear projection, each with BN; ReLU6 after the first two), a residual Add where stride
 * is 1 and widths match, a final 1x1 conv to 1280, global pooling and classifier.
 */
export function mobilenetV2(options: ZooOptions, seeds: InitSeeds): tf.LayersModel {
  const alpha = options.width;
  const x = input(options.inputShape);
  let channels = makeDivisible(32 * alpha);
  let h = convBn(x, 'conv1', { filters: channels, kernelSize: 3, strides: 2, activation: 'relu6' }, seeds);
  let blockId = 0;
  for (const [expansion, outChannels, repeats, firstStride] of STAGES) {
    const filters = makeDivisible(outChannels * alpha);
    for (let repeat = 0; repeat < repeats; repeat++) {
      const name = `block_${blockId}`;
      const strides = repeat === 0 ? firstStride : 1;
      let branch = h;
      if (expansion !== 1) branch = convBn(branch, `${name}_expand`, { filters: channels * expansion, kernelSize: 1, activation: 'relu6' }, seeds);
      branch = depthwiseBn(branch, `${name}_depthwise`, strides, 'relu6', seeds);
      branch = convBn(branch, `${name}_project`, { filters, kernelSize: 1, activation: 'none' }, seeds);
      h = strides === 1 && channels === filters ? (tf.layers.add({ name: `${name}_add` }).apply([h, branch]) as tf.SymbolicTensor) : branch;
      channels = filters;
      blockId++;
    }
  }
  const lastChannels = alpha > 1 ? makeDivisible(1280 * alpha) : 1280;
  h = convBn(h, 'conv_last', { filters: lastChannels, kernelSize: 1, activation: 'relu6' }, seeds);
  return tf.model({ inputs: x, outputs: classifier(h, options.classes, seeds), name: 'mobilenet_v2' });
}

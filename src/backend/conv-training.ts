import * as tf from '@tensorflow/tfjs';
import { routeTrainingCall, wasmActive } from './layer-training-call.js';

interface Conv2DLayer {
  rank: number;
  dataFormat: string;
  strides: [number, number];
  padding: 'same' | 'valid';
  dilationRate: [number, number];
  kernel: tf.LayerVariable;
  bias: tf.LayerVariable | null;
  activation: { apply(x: tf.Tensor): tf.Tensor } | null;
}

/**
 * tfjs-layers' Conv2D runs tf.fused.conv2d, whose gradient computes the input gradient
 * eagerly, wanted or not: for the first convolution of every model (its input is data) that
 * is a whole wasted transposed convolution each step (~8% of a zoo:cnn step). In training,
 * Conv2D (channels last) runs as conv2d + bias + activation instead, the same maths, so that
 * the tape skips gradients nobody asked for. Inference stays fused. On wasm only (see wasmActive).
 */
export function installConvTrainingPath(): void {
  routeTrainingCall<Conv2DLayer>('Conv2D', (layer, x) => {
    if (!wasmActive() || layer.rank !== 2 || layer.dataFormat !== 'channelsLast') return undefined;
    let y: tf.Tensor = tf.conv2d(x as tf.Tensor4D, layer.kernel.read() as tf.Tensor4D, layer.strides, layer.padding, 'NHWC', layer.dilationRate);
    if (layer.bias) y = tf.add(y, layer.bias.read());
    return layer.activation ? layer.activation.apply(y) : y;
  });
}

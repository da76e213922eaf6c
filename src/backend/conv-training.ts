import * as tf from '@tensorflow/tfjs';

interface Conv2DLayer {
  rank: number;
  dataFormat: string;
  strides: [number, number];
  padding: 'same' | 'valid';
  dilationRate: [number, number];
  kernel: tf.LayerVariable;
  bias: tf.LayerVariable | null;
  activation: { apply(x: tf.Tensor): tf.Tensor } | null;
  call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor;
}

let installed = false;

/**
 * tfjs-layers' Conv2D runs tf.fused.conv2d, whose gradient computes the input gradient
 * eagerly, wanted or not: for the first convolution of every model (its input is data) that
 * is a whole wasted transposed convolution each step (~8% of a zoo:cnn step). In training,
 * Conv2D (channels last) runs as conv2d + bias + activation instead, the same maths, so that
 * the tape skips gradients nobody asked for. Inference stays fused.
 */
export function installConvTrainingPath(): void {
  if (installed) return;
  const [layerClass] = tf.serialization.SerializationMap.getMap().classNameMap.Conv2D as unknown as [{ prototype: Conv2DLayer }];
  const original = layerClass.prototype.call;
  layerClass.prototype.call = function (this: Conv2DLayer, inputs, kwargs) {
    if (!kwargs?.training || this.rank !== 2 || this.dataFormat !== 'channelsLast') return original.call(this, inputs, kwargs);
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      let y: tf.Tensor = tf.conv2d(x, this.kernel.read() as tf.Tensor4D, this.strides, this.padding, 'NHWC', this.dilationRate);
      if (this.bias) y = tf.add(y, this.bias.read());
      return this.activation ? this.activation.apply(y) : y;
    });
  };
  installed = true;
}

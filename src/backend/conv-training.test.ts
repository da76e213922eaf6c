import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { installConvTrainingPath } from './conv-training.js';
import { initBackend } from './select.js';

/** Two Conv2D layers on a 9x7x3 input -> dense: the loss and its gradients, in training mode. */
function model(): tf.LayersModel {
  const input = tf.input({ shape: [9, 7, 3] });
  const init = (seed: number) => tf.initializers.randomNormal({ seed });
  let h = tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: init(1), biasInitializer: init(2) }).apply(input);
  h = tf.layers.conv2d({ filters: 5, kernelSize: 2, padding: 'valid', kernelInitializer: init(3), biasInitializer: init(4) }).apply(h);
  const out = tf.layers.dense({ units: 3, kernelInitializer: init(5) }).apply(tf.layers.flatten().apply(h));
  return tf.model({ inputs: input, outputs: out as tf.SymbolicTensor });
}

function lossAndGradients(net: tf.LayersModel): Float32Array[] {
  const x = tf.randomNormal([4, 9, 7, 3], 0, 1, 'float32', 6);
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(net.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar);
  return [value, ...Object.values(grads)].map((t) => t.dataSync() as Float32Array);
}

describe('Conv2D in training as conv2d + bias + activation, on wasm', () => {
  let reference: Float32Array[];
  beforeAll(async () => {
    await tf.setBackend('cpu');
    reference = lossAndGradients(model()); // tfjs's fused conv on the reference backend, before the install
    await initBackend('wasm'); // installs the training path
  });

  it('gives the loss and every gradient the fused convolution gives on cpu', () => {
    const unfused = lossAndGradients(model());
    expect(unfused.length).toBe(7); // loss, 2 x (kernel, bias), dense kernel and bias
    unfused.forEach((values, i) => {
      const scale = Math.max(...Array.from(reference[i], Math.abs));
      values.forEach((v, k) => expect(Math.abs(v - reference[i][k]) / scale, `output ${i}`).toBeLessThan(1e-5));
    });
  });

  it('computes no input gradient for the convolution that reads the data, one for the next', async () => {
    const net = model();
    const profile = await tf.profile(() => lossAndGradients(net));
    expect(profile.kernels.filter((k) => k.name === 'Conv2DBackpropInput').length).toBe(1);
    expect(profile.kernels.filter((k) => k.name === 'Conv2DBackpropFilter').length).toBe(2);
  });

  it('leaves other backends to tfjs: on cpu the fused convolution runs, input gradients and all', async () => {
    installConvTrainingPath();
    await tf.setBackend('cpu');
    const onCpu = await tf.profile(() => lossAndGradients(model()));
    expect(onCpu.kernels.some((k) => k.name === 'FusedConv2D')).toBe(true);
    await tf.setBackend('wasm');
    const onWasm = await tf.profile(() => lossAndGradients(model()));
    expect(onWasm.kernels.some((k) => k.name === 'FusedConv2D')).toBe(false);
  });
});

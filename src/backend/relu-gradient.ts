import * as tf from '@tensorflow/tfjs';
import { RELU_GRAD } from './wasm-kernels/simd-relu-grad.js';

let installed = false;

/**
 * ReLU's gradient, dy * step(x), is three passes over the activations and a cast in tfjs
 * (Step, Cast, Multiply). On wasm it becomes one pass of relu-grad.wat; elsewhere it stays
 * tfjs's formula. Same values, NaN included.
 */
export function installReluGradient(): void {
  if (installed) return;
  tf.registerGradient({
    kernelName: 'Relu',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved;
      const onePass = tf.getBackend() === 'wasm' && x.dtype === 'float32' && tf.getKernel(RELU_GRAD, 'wasm') != null;
      return {
        x: () => (onePass ? (tf.engine().runKernel(RELU_GRAD, { dy: dy as tf.Tensor, x }) as tf.Tensor) : tf.mul(dy as tf.Tensor, tf.cast(tf.step(x), 'float32'))),
      };
    },
  });
  installed = true;
}

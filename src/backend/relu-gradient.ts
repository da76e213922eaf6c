import * as tf from '@tensorflow/tfjs';
import { wasmActive } from './layer-training-call.js';
import { RELU_GRAD } from './wasm-kernels/simd-relu-grad.js';

let installed = false;

/**
 * ReLU's gradient, dy * step(x), is three passes over the activations and a cast in tfjs
 * (Step, Cast, Multiply). On wasm it becomes one pass of relu-grad.wat; elsewhere tfjs's own
 * gradient runs, unchanged. Same values, NaN included.
 */
export function installReluGradient(): void {
  if (installed) return;
  const tfjsGradient = tf.getGradient('Relu');
  if (!tfjsGradient) throw new Error('tfjs registers no gradient for Relu');
  tf.registerGradient({
    kernelName: 'Relu',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const onePass = wasmActive() && x.dtype === 'float32' && tf.getKernel(RELU_GRAD, 'wasm') != null;
      if (!onePass) return tfjsGradient.gradFunc(dy, saved, attrs);
      return { x: () => tf.engine().runKernel(RELU_GRAD, { dy: dy as tf.Tensor, x }) as tf.Tensor };
    },
  });
  installed = true;
}

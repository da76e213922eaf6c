import * as tf from '@tensorflow/tfjs';
import { CLIP_GRAD } from './wasm-kernels/simd-clip.js';

let installed = false;

/**
 * ClipByValue's gradient, dy where min <= x <= max, is five passes in tfjs (two comparisons, a
 * logical and, zeros, a select); ReLU6 layers (MobileNets) run it once each. On wasm it becomes
 * one pass of clip-grad.wat; elsewhere it stays tfjs's formula. Same values, NaN x included.
 */
export function installClipGradient(): void {
  if (installed) return;
  tf.registerGradient({
    kernelName: 'ClipByValue',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const { clipValueMin, clipValueMax } = attrs as unknown as { clipValueMin: number; clipValueMax: number };
      const onePass = tf.getBackend() === 'wasm' && x.dtype === 'float32' && tf.getKernel(CLIP_GRAD, 'wasm') != null;
      const inside = () => tf.logicalAnd(tf.greaterEqual(x, clipValueMin), tf.lessEqual(x, clipValueMax));
      return {
        x: () =>
          onePass
            ? (tf.engine().runKernel(CLIP_GRAD, { dy: dy as tf.Tensor, x }, { clipValueMin, clipValueMax }) as tf.Tensor)
            : tf.where(inside(), dy as tf.Tensor, tf.zerosLike(dy as tf.Tensor)),
      };
    },
  });
  installed = true;
}

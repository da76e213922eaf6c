import * as tf from '@tensorflow/tfjs';

type LayerCall = (inputs: tf.Tensor | tf.Tensor[], kwargs?: { training?: boolean }) => tf.Tensor;

const routed = new Set<string>();

/**
 * The training paths are installed for the wasm backend only: they exist for its missing and
 * slow kernels, and tests prove them equal to tfjs's own there (and on cpu, the reference). The
 * native tensorflow backend has fused kernels of its own and cannot be tested on a machine
 * without libtensorflow, so every other backend keeps tfjs's code as it is.
 */
export const wasmActive = () => tf.getBackend() === 'wasm';

/**
 * In training mode, the tfjs-layers class registered as `className` computes its output with
 * `trainingCall(layer, firstInput)` (inside a tidy); where that returns undefined, and in
 * inference, the class's own call runs. Once per class.
 */
export function routeTrainingCall<Layer>(className: string, trainingCall: (layer: Layer, x: tf.Tensor) => tf.Tensor | undefined): void {
  if (routed.has(className)) return;
  const [layerClass] = tf.serialization.SerializationMap.getMap().classNameMap[className] as unknown as [{ prototype: { call: LayerCall } }];
  const original = layerClass.prototype.call;
  layerClass.prototype.call = function (this: Layer, inputs, kwargs) {
    if (kwargs?.training) {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const y = tf.tidy(() => trainingCall(this, x));
      if (y) return y;
    }
    return original.call(this, inputs, kwargs);
  };
  routed.add(className);
}

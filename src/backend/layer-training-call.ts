import * as tf from '@tensorflow/tfjs';

type LayerCall = (inputs: tf.Tensor | tf.Tensor[], kwargs?: { training?: boolean }) => tf.Tensor;

const routed = new Set<string>();

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

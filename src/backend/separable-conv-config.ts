import * as tf from '@tensorflow/tfjs';

type GetConfig = () => tf.serialization.ConfigDict;

let installed = false;

/**
 * tfjs-layers 4.22's SeparableConv2D.getConfig() leaves out `depthMultiplier`, which its
 * constructor reads (default 1): a model with multiplier 2 went through toJSON (a save, a head
 * replacement, a surgery rebuild) comes back with multiplier 1 and the wrong kernel shapes.
 * Adds it to the config, as Keras and tfjs's DepthwiseConv2D write it. Once per process.
 */
export function installSeparableConvConfig(): void {
  if (installed) return;
  const [layerClass] = tf.serialization.SerializationMap.getMap().classNameMap.SeparableConv2D as unknown as [{ prototype: { getConfig: GetConfig } }];
  const original = layerClass.prototype.getConfig;
  layerClass.prototype.getConfig = function (this: { depthMultiplier: number }) {
    return { ...original.call(this), depthMultiplier: this.depthMultiplier };
  };
  installed = true;
}

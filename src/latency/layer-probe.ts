import * as tf from '@tensorflow/tfjs';
import { MorphnetError } from '../errors.js';
import type { GraphNode } from '../graph/types.js';

/** A fresh copy of a layer applied to random inputs, ready to time. */
export interface LayerProbe {
  /** One inference call of the layer (synchronous backends: done when it returns). */
  run(): void;
  /** Channels of its output. */
  outWidth: number;
  dispose(): void;
}

/** The layer's config with another output width (filters or units) and no name or input shape of its own. */
function configAt(node: GraphNode, outWidth: number | undefined): Record<string, unknown> {
  const { name: _name, batchInputShape: _batchInputShape, inputShape: _inputShape, ...config } = node.config;
  if (outWidth !== undefined && 'filters' in config) config.filters = outWidth;
  else if (outWidth !== undefined && 'units' in config) config.units = outWidth;
  return config;
}

function freshLayer(node: GraphNode, outWidth: number | undefined): tf.layers.Layer {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[node.className];
  if (!entry) throw new MorphnetError('unsupported', `layer "${node.id}" (${node.className}) cannot be rebuilt to time it: tfjs has no class of that name registered`, 'register the custom layer class before timing the model');
  const [layerClass, fromConfig] = entry;
  return fromConfig(layerClass, configAt(node, outWidth) as tf.serialization.ConfigDict) as tf.layers.Layer;
}

/**
 * Builds the layer of `node` anew, with `outWidth` output channels (conv filters, dense units;
 * undefined keeps the seed's) on random inputs of the seed's shapes with `inputChannels` channels
 * each, at the batch size. Built and run once here, so weights exist before timing.
 */
export function probeLayer(node: GraphNode, inputChannels: number[], batch: number, outWidth?: number): LayerProbe {
  const layer = freshLayer(node, outWidth);
  const inputs = node.inputShapes.map((shape, i) => tf.randomNormal([batch, ...shape.slice(1, -1).map(Number), inputChannels[i]]));
  const argument = inputs.length === 1 ? inputs[0] : inputs;
  const apply = () => tf.tidy(() => layer.apply(argument) as tf.Tensor);
  const first = apply();
  const width = Number(first.shape.at(-1));
  first.dispose();
  return {
    run: () => apply().dispose(),
    outWidth: width,
    dispose: () => {
      tf.dispose(inputs);
      for (const weight of layer.weights) weight.dispose();
    },
  };
}

import * as tf from '@tensorflow/tfjs';
import type { ChannelAnalysis } from '../graph/channel-groups.js';
import { weightShortName, type WeightAxes } from '../graph/handlers/handler.js';
import { handlerFor } from '../graph/handlers/registry.js';
import type { GraphNode } from '../graph/types.js';
import { modelError } from '../errors.js';
import type { GroupWidths } from '../structure/width-multiplier.js';
import { channelMaps } from './channel-map.js';

/**
 * Which axes of each weight of a layer follow channels, as its handler declares them. A layer
 * without a handler (a barrier) has its channels fixed: its weights are copied as they are.
 */
function weightAxesOf(node: GraphNode): (weightName: string) => WeightAxes {
  const handler = handlerFor(node.className);
  if (!handler) return () => ({});
  const axes = handler.weightAxes?.(node) ?? {};
  return (weightName) => {
    const name = weightShortName(weightName);
    if (!axes[name]) {
      throw modelError(
        `layer "${node.id}" (${node.className}) has a weight "${name}" whose channel axes morphnet does not know (it knows: ${Object.keys(axes).join(', ') || 'none'})`,
        `add "${name}" to the weightAxes of the ${node.className} handler in src/graph/handlers/`,
      );
    }
    return axes[name];
  };
}

/** Copies `source` into `target` along `axis` by `map` (target index -> source index, -1 keeps target). */
function gatherInto(source: tf.TensorBuffer<tf.Rank>, target: tf.TensorBuffer<tf.Rank>, maps: Array<Int32Array | undefined>): void {
  const shape = target.shape;
  const index = new Array(shape.length).fill(0);
  const total = target.size;
  for (let flat = 0; flat < total; flat++) {
    let rest = flat;
    for (let axis = shape.length - 1; axis >= 0; axis--) {
      index[axis] = rest % shape[axis];
      rest = Math.floor(rest / shape[axis]);
    }
    const from = index.map((i, axis) => (maps[axis] ? maps[axis]![i] : i));
    if (from.some((i) => i < 0)) continue;
    target.set(source.get(...from), ...index);
  }
}

function findLayer(model: tf.LayersModel, name: string): tf.layers.Layer | undefined {
  for (const layer of model.layers) {
    if (layer.name === name) return layer;
    const nested = (layer as unknown as { layers?: tf.layers.Layer[] }).layers;
    if (nested) {
      const found = findLayer(layer as tf.LayersModel, name);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * Copies the weights of the model `analysis` was built from (the seed's layers, holding the
 * shrunk weights for `--init pruned`) into the rebuilt model for the kept channels, gathered
 * along each weight's input- and output-channel axes. Channels the seed does not have (an
 * expanded group's extra ones) keep their fresh initialisation.
 */
export function slicePrunedWeights(analysis: ChannelAnalysis, rebuilt: tf.LayersModel, widths: GroupWidths, kept: number[][]): void {
  const maps = channelMaps(analysis, widths, kept);
  for (const node of analysis.graph.nodes) {
    const target = findLayer(rebuilt, node.layer.name);
    if (!target || node.layer.weights.length === 0) continue;
    const inMap = node.inputs.length ? maps.get(node.inputs[0]) : undefined;
    const outMap = maps.get(node.id);
    const targetWeights = target.getWeights();
    const axesOf = weightAxesOf(node);
    const updated = node.layer.getWeights().map((seedWeight, w) => {
      const targetWeight = targetWeights[w];
      const axes = axesOf(node.layer.weights[w].originalName);
      const axisMaps: Array<Int32Array | undefined> = new Array(seedWeight.rank).fill(undefined);
      if (axes.in !== undefined && inMap) axisMaps[axes.in] = axes.inRepeat ? repeatMap(inMap, axes.inRepeat) : inMap;
      if (axes.out !== undefined && outMap) axisMaps[axes.out] = outMap;
      const buffer = targetWeight.bufferSync();
      gatherInto(seedWeight.bufferSync(), buffer, axisMaps);
      return buffer.toTensor();
    });
    target.setWeights(updated);
    tf.dispose(updated); // getWeights returns the variables themselves: only the new tensors are ours
  }
}

/** A depthwise multiplier m turns input channel c into m consecutive channels c*m .. c*m+m-1. */
function repeatMap(map: Int32Array, m: number): Int32Array {
  const out = new Int32Array(map.length * m);
  for (let i = 0; i < map.length; i++) for (let t = 0; t < m; t++) out[i * m + t] = map[i] < 0 ? -1 : map[i] * m + t;
  return out;
}

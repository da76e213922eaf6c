import type * as tf from '@tensorflow/tfjs';

export type Shape = Array<number | null>;

/** One layer application in the flattened network (nested Sequential/Functional models expanded). */
export interface GraphNode {
  /** Unique id: the layer name, prefixed by its nested model's name only when names collide. */
  id: string;
  /** Position in topological order. */
  index: number;
  className: string;
  config: Record<string, unknown>;
  layer: tf.layers.Layer;
  /** Names of the nested models that contain this layer, outermost first. */
  scope: string[];
  /**
   * False when training leaves the layer's weights alone: the layer, or a nested model around
   * it, is frozen (`trainable: false`). Keras counts such weights as non-trainable.
   */
  trainable: boolean;
  inputs: string[];
  inputShapes: Shape[];
  outputShape: Shape;
}

/** A Sequential/Functional model nested in another, and the nodes that feed its inputs. */
export interface NestedModel {
  /** Names of the nested models from the outermost down to this one (this one's name last). */
  scope: string[];
  /** The node feeding each of its inputs, in the order of its input layers. */
  inputs: string[];
}

export interface LayerGraph {
  nodes: GraphNode[];
  byId: Map<string, GraphNode>;
  inputIds: string[];
  outputIds: string[];
  /** Nested models, outermost first; their layers are nodes of this graph, under their scope. */
  nestedModels: NestedModel[];
}

/** Channels are the last axis (tfjs layers are channels-last). */
export function channelCount(shape: Shape): number {
  return Number(shape[shape.length - 1]);
}

/** Product of the dims between batch and channels (H*W for images). */
export function spatialSize(shape: Shape): number {
  return shape.slice(1, -1).reduce<number>((a, b) => a * Number(b), 1);
}

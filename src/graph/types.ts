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
  inputs: string[];
  inputShapes: Shape[];
  outputShape: Shape;
}

export interface LayerGraph {
  nodes: GraphNode[];
  byId: Map<string, GraphNode>;
  inputIds: string[];
  outputIds: string[];
}

/** Channels are the last axis (tfjs layers are channels-last). */
export function channelCount(shape: Shape): number {
  return Number(shape[shape.length - 1]);
}

/** Product of the dims between batch and channels (H*W for images). */
export function spatialSize(shape: Shape): number {
  return shape.slice(1, -1).reduce<number>((a, b) => a * Number(b), 1);
}

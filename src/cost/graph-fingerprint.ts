import { createHash } from 'node:crypto';
import type { GraphNode, LayerGraph, Shape } from '../graph/types.js';

/** A short hash of a graph's layer names, classes and shapes: which model a latency table was measured for. */
export function graphFingerprint(graph: LayerGraph): string {
  const text = JSON.stringify(graph.nodes.map((node) => [node.id, node.className, node.inputShapes, node.outputShape]));
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** A shape without its batch and channel axes: what stays when only widths change. */
export function spatialDims(shape: Shape): Array<number | null> {
  return shape.slice(1, -1);
}

/** `Conv2D on 14x14`: a layer's class and input geometry, for messages. */
export function describeLayerGeometry(className: string, inputShape: Shape | undefined): string {
  const spatial = inputShape ? spatialDims(inputShape) : [];
  return spatial.length > 0 ? `${className} on ${spatial.join('x')}` : className;
}

/** Whether a table entry measured a layer of this class and input and output geometry (widths may differ). */
export function sameLayerGeometry(entry: { className: string; inputShapes: Shape[]; outputShape: Shape }, node: GraphNode): boolean {
  const same = (a: Shape | undefined, b: Shape | undefined) => JSON.stringify(a ? spatialDims(a) : null) === JSON.stringify(b ? spatialDims(b) : null);
  return entry.className === node.className && same(entry.inputShapes[0], node.inputShapes[0]) && same(entry.outputShape, node.outputShape);
}

import type * as tf from '@tensorflow/tfjs';
import { modelError } from '../errors.js';
import type { GraphNode, LayerGraph, Shape } from './types.js';

type InboundRef = [string, number, number, ...unknown[]];
interface FunctionalConfig {
  layers: Array<{ name: string; className: string; inboundNodes: InboundRef[][] }>;
  inputLayers: InboundRef[];
  outputLayers: InboundRef[];
}

function isNestedModel(layer: tf.layers.Layer): layer is tf.LayersModel {
  return Array.isArray((layer as unknown as { layers?: unknown }).layers) && typeof (layer as tf.LayersModel).getLayer === 'function';
}

/** Builds the flat graph of a model, propagating shapes from its input (or an overriding input shape). */
class GraphBuilder {
  readonly nodes: GraphNode[] = [];
  readonly byId = new Map<string, GraphNode>();

  addNode(layer: tf.layers.Layer, className: string, scope: string[], inputs: string[], outputShape: Shape): string {
    let id = layer.name;
    if (this.byId.has(id)) id = [...scope, layer.name].join('/');
    for (let n = 2; this.byId.has(id); n++) id = `${layer.name}_${n}`;
    const node: GraphNode = {
      id,
      index: this.nodes.length,
      className,
      config: layer.getConfig() as Record<string, unknown>,
      layer,
      scope,
      inputs,
      inputShapes: inputs.map((input) => this.byId.get(input)!.outputShape),
      outputShape,
    };
    this.nodes.push(node);
    this.byId.set(id, node);
    return id;
  }

  addLayer(layer: tf.layers.Layer, inputs: string[], scope: string[]): string[] {
    if (isNestedModel(layer)) return this.flattenModel(layer, inputs, [...scope, layer.name]);
    const inputShapes = inputs.map((id) => this.byId.get(id)!.outputShape);
    let outputShape: Shape;
    try {
      outputShape = layer.computeOutputShape(inputShapes.length === 1 ? (inputShapes[0] as number[]) : (inputShapes as number[][])) as Shape;
    } catch (error) {
      throw modelError(`layer "${layer.name}" (${layer.getClassName()}) cannot take inputs of shape ${JSON.stringify(inputShapes)}: ${(error as Error).message}`, 'check --input-shape against the model');
    }
    if (Array.isArray(outputShape[0])) {
      throw modelError(`layer "${layer.name}" (${layer.getClassName()}) has several outputs, which morphnet does not follow yet`, 'use a model whose layers have one output each');
    }
    return [this.addNode(layer, layer.getClassName(), scope, inputs, outputShape)];
  }

  flattenModel(model: tf.LayersModel, inputs: string[], scope: string[]): string[] {
    if (model.getClassName() === 'Sequential') {
      let current = inputs;
      for (const layer of model.layers) {
        if (layer.getClassName() !== 'InputLayer') current = this.addLayer(layer, current, scope);
      }
      return current;
    }
    const config = model.getConfig() as unknown as FunctionalConfig;
    const produced = new Map<string, string>();
    config.inputLayers.forEach(([name, nodeIndex], i) => produced.set(`${name}#${nodeIndex}`, inputs[i]));
    const pending = config.layers.filter((l) => l.className !== 'InputLayer').flatMap((l) => l.inboundNodes.map((refs, nodeIndex) => ({ name: l.name, refs, nodeIndex })));
    while (pending.length > 0) {
      const ready = pending.findIndex(({ refs }) => refs.every(([name, nodeIndex]) => produced.has(`${name}#${nodeIndex}`)));
      if (ready < 0) throw modelError(`model "${model.name}" has layers whose inputs are never produced: ${pending.map((p) => p.name).join(', ')}`, 'the model config is inconsistent; export it again');
      const [{ name, refs, nodeIndex }] = pending.splice(ready, 1);
      const ins = refs.map(([from, fromNode]) => produced.get(`${from}#${fromNode}`)!);
      const [out] = this.addLayer(model.getLayer(name), ins, scope);
      produced.set(`${name}#${nodeIndex}`, out);
    }
    return config.outputLayers.map(([name, nodeIndex]) => produced.get(`${name}#${nodeIndex}`)!);
  }
}

/**
 * The flat layer graph of a Layers model: nested Sequential/Functional models are expanded in
 * place, so a Teachable Machine export (Sequential > Sequential > Functional) becomes one graph.
 * `inputShape` (without batch) replaces the model's own input shape for counting.
 */
export function buildLayerGraph(model: tf.LayersModel, options: { inputShape?: number[] } = {}): LayerGraph {
  if (model.inputs.length !== 1) {
    throw modelError(`model "${model.name}" has ${model.inputs.length} inputs; morphnet handles single-input models`, 'wrap the model so it takes one input');
  }
  const builder = new GraphBuilder();
  const inputLayer = model.inputLayers?.[0] ?? model.layers[0];
  const inputShape: Shape = options.inputShape ? [null, ...options.inputShape] : (model.inputs[0].shape as Shape);
  const inputId = builder.addNode(inputLayer, 'InputLayer', [], [], inputShape);
  const outputIds = builder.flattenModel(model, [inputId], []);
  return { nodes: builder.nodes, byId: builder.byId, inputIds: [inputId], outputIds };
}

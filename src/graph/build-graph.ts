import type * as tf from '@tensorflow/tfjs';
import { modelError } from '../errors.js';
import type { GraphNode, LayerGraph, NestedModel, Shape } from './types.js';

type InboundRef = [string, number, number, ...unknown[]];
interface FunctionalConfig {
  layers: Array<{ name: string; className: string; inboundNodes: InboundRef[][] }>;
  inputLayers: InboundRef[];
  outputLayers: InboundRef[];
}

function isNestedModel(layer: tf.layers.Layer): layer is tf.LayersModel {
  return Array.isArray((layer as unknown as { layers?: unknown }).layers) && typeof (layer as tf.LayersModel).getLayer === 'function';
}

/**
 * Whether training updates a layer's weights: not when the layer or a model around it is frozen.
 * tfjs freezes a nested model (`model.trainable = false`) by marking its layers' weights, not
 * the layers, so a layer with weights but none of them trainable is frozen too.
 */
function isTrainable(layer: tf.layers.Layer, insideTrainable: boolean): boolean {
  if (!insideTrainable || !layer.trainable) return false;
  return layer.weights.length === 0 || layer.trainableWeights.length > 0;
}

/**
 * The index by which other layers refer to the first node a config lists for `layer`: a nested
 * model's node 0 is its own input node, which configs leave out but count (Keras and tfjs
 * serialize `x = base(inputs)` as a reference to ["base", 1, 0]).
 */
function firstListedNodeIndex(layer: tf.layers.Layer): number {
  return isNestedModel(layer) ? 1 : 0;
}

/** Builds the flat graph of a model, propagating shapes from its input (or an overriding input shape). */
class GraphBuilder {
  readonly nodes: GraphNode[] = [];
  readonly byId = new Map<string, GraphNode>();
  readonly nestedModels: NestedModel[] = [];

  addNode(layer: tf.layers.Layer, className: string, scope: string[], inputs: string[], outputShape: Shape, trainable = true): string {
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
      trainable,
      inputs,
      inputShapes: inputs.map((input) => this.byId.get(input)!.outputShape),
      outputShape,
    };
    this.nodes.push(node);
    this.byId.set(id, node);
    return id;
  }

  addLayer(layer: tf.layers.Layer, inputs: string[], scope: string[], insideTrainable: boolean): string[] {
    if (isNestedModel(layer)) {
      const nestedScope = [...scope, layer.name];
      this.nestedModels.push({ scope: nestedScope, inputs });
      return this.flattenModel(layer, inputs, nestedScope, insideTrainable && layer.trainable);
    }
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
    return [this.addNode(layer, layer.getClassName(), scope, inputs, outputShape, isTrainable(layer, insideTrainable))];
  }

  flattenModel(model: tf.LayersModel, inputs: string[], scope: string[], trainable: boolean): string[] {
    if (model.getClassName() === 'Sequential') {
      let current = inputs;
      for (const layer of model.layers) {
        if (layer.getClassName() !== 'InputLayer') current = this.addLayer(layer, current, scope, trainable);
      }
      return current;
    }
    const config = model.getConfig() as unknown as FunctionalConfig;
    const produced = new Map<string, string>();
    config.inputLayers.forEach(([name, nodeIndex], i) => produced.set(`${name}#${nodeIndex}`, inputs[i]));
    const pending = config.layers
      .filter((l) => l.className !== 'InputLayer')
      .flatMap((l) => l.inboundNodes.map((refs, listed) => ({ name: l.name, refs, nodeIndex: firstListedNodeIndex(model.getLayer(l.name)) + listed })));
    while (pending.length > 0) {
      const ready = pending.findIndex(({ refs }) => refs.every(([name, nodeIndex]) => produced.has(`${name}#${nodeIndex}`)));
      if (ready < 0) throw modelError(`model "${model.name}" has layers whose inputs are never produced: ${pending.map((p) => p.name).join(', ')}`, 'the model config is inconsistent; export it again');
      const [{ name, refs, nodeIndex }] = pending.splice(ready, 1);
      const ins = refs.map(([from, fromNode]) => produced.get(`${from}#${fromNode}`)!);
      const [out] = this.addLayer(model.getLayer(name), ins, scope, trainable);
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
  // The InputLayer that makes the input tensor, at any depth: a Sequential whose first layer is
  // a nested model has that model as layers[0], which is not the input (and holds weights).
  const inputLayer = model.inputs[0].sourceLayer;
  const inputShape: Shape = options.inputShape ? [null, ...options.inputShape] : (model.inputs[0].shape as Shape);
  const inputId = builder.addNode(inputLayer, 'InputLayer', [], [], inputShape);
  const outputIds = builder.flattenModel(model, [inputId], [], model.trainable);
  return { nodes: builder.nodes, byId: builder.byId, inputIds: [inputId], outputIds, nestedModels: builder.nestedModels };
}

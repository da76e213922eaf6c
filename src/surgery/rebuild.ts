import * as tf from '@tensorflow/tfjs';
import type { ChannelAnalysis } from '../graph/channel-groups.js';
import { handlerFor } from '../graph/handlers/registry.js';
import { modelError } from '../errors.js';
import type { GroupWidths } from '../structure/width-multiplier.js';
import { structureTopology, type RebuildPlan } from '../structure/topology.js';

interface LayerJson {
  name?: string;
  class_name: string;
  config: Record<string, unknown> & { name?: string; layers?: LayerJson[]; output_layers?: unknown[][] };
  inbound_nodes?: unknown[][][];
}

const RANDOM_INITIALIZERS = new Set(['VarianceScaling', 'GlorotUniform', 'GlorotNormal', 'HeNormal', 'HeUniform', 'LeCunNormal', 'LeCunUniform', 'RandomNormal', 'RandomUniform', 'TruncatedNormal', 'Orthogonal']);

const layerName = (layer: LayerJson) => layer.name ?? layer.config.name!;
const isModel = (layer: LayerJson) => Array.isArray(layer.config.layers);

/** Every layer config by its graph node id (layer name, or scope/name where names collide). */
function indexLayers(root: LayerJson, analysis: ChannelAnalysis): Map<string, { layer: LayerJson; parent: LayerJson }> {
  const byScopedName = new Map<string, { layer: LayerJson; parent: LayerJson }>();
  const walk = (model: LayerJson, scope: string[]) => {
    for (const layer of model.config.layers!) {
      if (isModel(layer)) walk(layer, [...scope, layerName(layer)]);
      else byScopedName.set([...scope, layerName(layer)].join('/'), { layer, parent: model });
    }
  };
  walk(root, []);
  const byNode = new Map<string, { layer: LayerJson; parent: LayerJson }>();
  for (const node of analysis.graph.nodes) {
    const found = byScopedName.get([...node.scope, node.layer.name].join('/'));
    if (found) byNode.set(node.id, found);
  }
  return byNode;
}

function nameOfNode(analysis: ChannelAnalysis, id: string): string {
  return analysis.graph.byId.get(id)!.layer.name;
}

/** The config key that holds a layer's width, as its handler names it (`filters`, `units`). */
function widthKeyOf(analysis: ChannelAnalysis, id: string): string {
  const node = analysis.graph.byId.get(id)!;
  const key = handlerFor(node.className)?.widthKey;
  if (!key) throw new Error(`layer "${id}" (${node.className}) has a planned width but its handler names no width key`);
  return key;
}

/** Applies a plan to the Keras-style JSON of the seed model. */
function applyPlan(json: LayerJson, analysis: ChannelAnalysis, plan: RebuildPlan): void {
  const layers = indexLayers(json, analysis);
  for (const [id, width] of plan.widths) layers.get(id)!.layer.config[widthKeyOf(analysis, id)] = width;
  const renames = new Map<string, string>();
  for (const [id, target] of plan.bypassed) renames.set(nameOfNode(analysis, id), nameOfNode(analysis, target));
  const removedNames = new Set<string>();
  for (const id of [...plan.removed, ...plan.bypassed.keys()]) {
    const entry = layers.get(id)!;
    if (!entry.layer.inbound_nodes) throw modelError(`layer "${id}" sits in a Sequential model, where it cannot be removed`, 'keep at least one channel in its group');
    entry.parent.config.layers = entry.parent.config.layers!.filter((l) => l !== entry.layer);
    removedNames.add(layerName(entry.layer));
  }
  for (const [id, dropped] of plan.droppedInputs) {
    const entry = layers.get(id)!;
    const droppedNames = new Set(dropped.map((d) => nameOfNode(analysis, d)));
    entry.layer.inbound_nodes = entry.layer.inbound_nodes!.map((refs) => refs.filter((ref) => !droppedNames.has(ref[0] as string)));
  }
  const follow = (name: string) => {
    let current = name;
    while (renames.has(current)) current = renames.get(current)!;
    return current;
  };
  const rewire = (model: LayerJson) => {
    for (const layer of model.config.layers!) {
      if (isModel(layer)) rewire(layer);
      // Sequential layers have no inbound_nodes; an explicit undefined would break tfjs's parser.
      if (layer.inbound_nodes) layer.inbound_nodes = layer.inbound_nodes.map((refs) => refs.map((ref) => [follow(ref[0] as string), ...ref.slice(1)]));
    }
    if (model.config.output_layers) model.config.output_layers = model.config.output_layers.map((ref) => [follow(ref[0] as string), ...ref.slice(1)]);
  };
  rewire(json);
}

/** Channels of every node's output in the rebuilt model: each seed channel counts as its group's new share. */
function rebuiltChannelCounts(analysis: ChannelAnalysis, widths: GroupWidths): Map<string, number> {
  const counts = new Map<string, number>();
  for (const node of analysis.graph.nodes) {
    let channels = 0;
    for (const c of analysis.outputComponents.get(node.id)!) {
      const group = analysis.groups[analysis.componentGroup[c]];
      channels += widths[group.id] / group.width;
    }
    counts.set(node.id, Math.round(channels));
  }
  return counts;
}

/** The JSON of a nested model, found by its scope (model names from the outermost down). */
function nestedModelJson(root: LayerJson, scope: string[]): LayerJson {
  return scope.reduce((model, name) => model.config.layers!.find((layer) => isModel(layer) && layerName(layer) === name)!, root);
}

/** The layers whose config records a model's input shapes: a Functional model's input layers, a Sequential's first layer. */
function inputLayersOf(model: LayerJson): LayerJson[] {
  const layers = model.config.layers!;
  const inputRefs = model.config.input_layers as unknown[][] | undefined;
  if (!inputRefs) return [layers[0]];
  return inputRefs.map(([name]) => layers.find((layer) => layerName(layer) === name)!);
}

/** Sets the channel (last) dim of a recorded shape, when the config records one. */
function setChannels(shape: unknown, channels: number): void {
  if (Array.isArray(shape) && shape.length > 0 && shape[shape.length - 1] !== -1) shape[shape.length - 1] = channels;
}

/**
 * Shapes the seed's JSON records, rewritten for the new widths: a nested model is built for the
 * `batch_input_shape` of its input layer (or, in a Sequential, its first layer), so a head that
 * follows a narrowed base must be told the channels it now receives; a layer whose config holds
 * its output shape (Reshape's target shape, its handler's `channelShapeKey`) carries the channels
 * on its last axis.
 */
function followRecordedShapes(json: LayerJson, analysis: ChannelAnalysis, widths: GroupWidths): void {
  const channels = rebuiltChannelCounts(analysis, widths);
  for (const nested of analysis.graph.nestedModels) {
    inputLayersOf(nestedModelJson(json, nested.scope)).forEach((layer, i) => setChannels(layer?.config.batch_input_shape, channels.get(nested.inputs[i])!));
  }
  const layers = indexLayers(json, analysis);
  for (const node of analysis.graph.nodes) {
    const key = handlerFor(node.className)?.channelShapeKey;
    if (key) setChannels(layers.get(node.id)?.layer.config[key], channels.get(node.id)!);
  }
}

/** Gives every random initializer a seed, so a rebuilt model starts the same in every process. */
function seedInitializers(value: unknown, next: () => number): void {
  if (Array.isArray(value)) value.forEach((v) => seedInitializers(v, next));
  else if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (typeof record.class_name === 'string' && RANDOM_INITIALIZERS.has(record.class_name) && record.config && typeof record.config === 'object') {
      (record.config as Record<string, unknown>).seed = next();
    }
    Object.values(record).forEach((v) => seedInitializers(v, next));
  }
}

/**
 * Builds the seed's architecture at new group widths, with fresh (seeded) weights. Groups at
 * width 0 remove what they feed (see planRebuild).
 */
export async function rebuildModel(seed: tf.LayersModel, analysis: ChannelAnalysis, widths: GroupWidths, randomSeed: number): Promise<tf.LayersModel> {
  const json = seed.toJSON(null, false) as unknown as LayerJson;
  const topology = structureTopology(analysis, widths);
  followRecordedShapes(json, analysis, topology.widths);
  applyPlan(json, analysis, topology.plan);
  let counter = randomSeed * 1000;
  seedInitializers(json, () => counter++);
  return tf.models.modelFromJSON({ modelTopology: json as unknown as tf.io.ModelJSON['modelTopology'] });
}

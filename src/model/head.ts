import * as tf from '@tensorflow/tfjs';
import { modelError } from '../errors.js';

/**
 * Transfer to the user's classes (`model.classes`): the classifier head, the Dense layer whose
 * units are the model's outputs, is rebuilt for N classes with fresh seeded weights and the same
 * activation; every other weight is kept. The surgery edits the model's JSON and copies the
 * kept weights layer by layer, so it works at any depth of nested models.
 */

/** Layers that may follow the classifier Dense: they keep its width (Dense -> Activation('softmax')). */
const PASS_THROUGH = new Set(['Activation', 'Softmax', 'Dropout']);
const RANDOM_INITIALIZERS = new Set(['VarianceScaling', 'GlorotUniform', 'GlorotNormal', 'HeNormal', 'HeUniform', 'LeCunNormal', 'LeCunUniform', 'RandomNormal', 'RandomUniform', 'TruncatedNormal', 'Orthogonal']);

interface LayerJson {
  name?: string;
  class_name: string;
  config: Record<string, unknown> & { name?: string; layers?: LayerJson[] };
}

/** Where the classifier Dense sits: the names of the nested models that hold it, outermost first. */
export interface HeadLocation {
  scope: string[];
  dense: tf.layers.Layer;
}

const isContainer = (layer: tf.layers.Layer): layer is tf.LayersModel => layer instanceof tf.LayersModel;

/** The model's output count: the last dim of its single output. */
export function numOutputs(model: tf.LayersModel): number {
  const shape = model.outputs[0].shape;
  return shape[shape.length - 1] as number;
}

function singleOutput(model: tf.LayersModel, scope: string[]): tf.SymbolicTensor {
  if (model.outputs.length !== 1) {
    const where = scope.length ? `nested model "${scope.join('/')}"` : 'the model';
    throw modelError(
      `model.classes: ${where} has ${model.outputs.length} outputs; a classifier head can be replaced only in a model with one output`,
      'remove model.classes and give data with as many classes as the model has outputs',
    );
  }
  return model.outputs[0];
}

/**
 * Follows the model's output back to the Dense layer that produces it, into nested models and
 * across pass-through layers (Activation, Softmax, Dropout).
 */
export function findHead(model: tf.LayersModel): HeadLocation {
  const scope: string[] = [];
  let tensor = singleOutput(model, scope);
  for (;;) {
    const layer = tensor.sourceLayer as tf.layers.Layer;
    if (isContainer(layer)) {
      scope.push(layer.name);
      tensor = singleOutput(layer, scope);
    } else if (layer.getClassName() === 'Dense') {
      return { scope, dense: layer };
    } else if (PASS_THROUGH.has(layer.getClassName())) {
      tensor = layer.inboundNodes[tensor.nodeIndex].inputTensors[0];
    } else {
      throw modelError(
        `model.classes: the model's output comes from layer "${[...scope, layer.name].join('/')}" (${layer.getClassName()}), not from a Dense layer, so there is no classifier head to replace`,
        `remove model.classes and give data with ${numOutputs(model)} classes (the model's outputs), or end the model with a Dense classifier before exporting it`,
      );
    }
  }
}

const layerName = (layer: LayerJson) => layer.name ?? layer.config.name!;

/** The JSON of the layer `name` inside the nested models `scope` (outermost first). */
function layerJsonAt(root: LayerJson, scope: string[], name: string): LayerJson {
  const container = scope.reduce((model, nested) => model.config.layers!.find((layer) => layerName(layer) === nested)!, root);
  return container.config.layers!.find((layer) => layerName(layer) === name)!;
}

/** Seeds the random initializers of one layer config, so the fresh head is the same in every process. */
function seedInitializers(config: Record<string, unknown>, seed: number): void {
  let next = seed * 1000;
  for (const key of ['kernel_initializer', 'bias_initializer']) {
    const initializer = config[key] as { class_name?: string; config?: Record<string, unknown> } | undefined;
    if (initializer?.class_name && RANDOM_INITIALIZERS.has(initializer.class_name)) initializer.config = { ...initializer.config, seed: next++ };
  }
}

/** Copies every layer's weights from `source` into the same-named layer of `target`, except `skip`, at any depth. */
function copyWeights(source: tf.LayersModel, target: tf.LayersModel, skip: (scope: string[], name: string) => boolean, scope: string[] = []): void {
  for (const layer of target.layers) {
    const original = source.getLayer(layer.name);
    if (isContainer(layer)) copyWeights(original as tf.LayersModel, layer, skip, [...scope, layer.name]);
    else if (!skip(scope, layer.name) && layer.weights.length > 0) layer.setWeights(original.getWeights());
  }
}

/**
 * The model with its classifier head rebuilt for `classes` outputs (fresh weights seeded by
 * `seed`, same activation) and every other weight kept; the model itself when it already has
 * `classes` outputs.
 */
export async function replaceHead(model: tf.LayersModel, classes: number, seed: number): Promise<tf.LayersModel> {
  if (numOutputs(model) === classes) return model;
  const { scope, dense } = findHead(model);
  const json = model.toJSON(null, false) as unknown as LayerJson;
  const head = layerJsonAt(json, scope, dense.name);
  head.config.units = classes;
  seedInitializers(head.config, seed);
  const rebuilt = await tf.models.modelFromJSON({ modelTopology: json as unknown as tf.io.ModelJSON['modelTopology'] });
  const isHead = (at: string[], name: string) => name === dense.name && at.join('/') === scope.join('/');
  copyWeights(model, rebuilt, isHead);
  return rebuilt;
}

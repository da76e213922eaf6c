import { basename, extname, join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendChoice } from '../backend/select.js';
import { loadConfigFile, resolveConfig, type ConfigOverrides } from '../config/load.js';
import type { MorphnetConfig } from '../config/schema.js';
import { resolveHardware, type Hardware } from '../cost/hardware.js';
import type { Dataset } from '../data/dataset.js';
import { loadDataset, readDataset } from '../data/load.js';
import { analyzeChannels, type ChannelAnalysis } from '../graph/channel-groups.js';
import { buildLayerGraph } from '../graph/build-graph.js';
import { registerFileRouters } from '../model/file-io.js';
import { describeModelSource, fitModelToClasses, loadModel, modelSourceFromSpec, type ModelSource } from '../model/load.js';
import { seedClassNames } from '../model/teachable-machine.js';

/** What every training stage starts from: a validated config, a backend, the model, its graph and data. */
export interface Experiment {
  config: MorphnetConfig;
  backend: BackendChoice;
  model: tf.LayersModel;
  modelName: string;
  analysis: ChannelAnalysis;
  dataset: Dataset;
  hardware?: Hardware;
}

export interface ExperimentRequest {
  configPath?: string;
  /** -m: a model spec replacing the config's model. */
  model?: string;
  overrides?: ConfigOverrides;
}

/** Reads and validates the config; a `-m` flag may stand in for the config's model. */
export function resolveExperimentConfig(request: ExperimentRequest): MorphnetConfig {
  const overrides: ConfigOverrides = { ...request.overrides };
  if (request.model) overrides.model = modelSourceFromSpec(request.model);
  if (request.configPath) return loadConfigFile(request.configPath, overrides);
  return resolveConfig({}, overrides, 'command line');
}

export function modelSourceOf(config: MorphnetConfig): ModelSource {
  const { zoo, path, options, classes } = config.model;
  return zoo ? { zoo, options, classes } : { path, classes };
}

/** The default run dir: runs/<config name>, or runs/<model name> without a config. */
export function defaultRunDir(configPath: string | undefined, config: MorphnetConfig): string {
  const name = configPath ? basename(configPath, extname(configPath)) : describeModelSource(modelSourceOf(config)).replace(/^zoo:/, '').replace(/[^\w.-]+/g, '_');
  return join('runs', name);
}

export function modelShape(model: tf.LayersModel): { inputShape: number[]; numClasses: number } {
  const inputShape = (model.inputs[0].shape as number[]).slice(1);
  const outputShape = model.outputs[0].shape as number[];
  return { inputShape, numClasses: outputShape[outputShape.length - 1] };
}

/** The shape data must have for `model`, with a Teachable Machine seed's labels to order an image folder's classes. */
export function dataShapeFor(model: tf.LayersModel, config: MorphnetConfig): { inputShape: number[]; numClasses: number; classNames?: string[] } {
  return { ...modelShape(model), classNames: seedClassNames(config.model) };
}

/** Loads everything a stage needs, validating it all before any run dir is touched. */
export async function prepareExperiment(config: MorphnetConfig, onBackend?: (choice: BackendChoice) => void): Promise<Experiment> {
  const hardwareName = config.shrink.hardware ?? config.expand.hardware;
  const hardware = hardwareName ? resolveHardware(hardwareName, config.hardware) : undefined;
  const backend = await initBackend(config.backend, config.threads);
  onBackend?.(backend);
  registerFileRouters();
  const source = modelSourceOf(config);
  const loaded = await loadModel(source, config.seed);
  // model.classes: auto fits the model to the data's class count, so the data is read first.
  // A Teachable Machine seed's metadata.json labels order an image folder of those classes.
  const raw = readDataset(config.data, config.seed, dataShapeFor(loaded, config));
  const model = source.classes === 'auto' ? await fitModelToClasses(loaded, source, raw.numClasses, config.seed) : loaded;
  const analysis = analyzeChannels(buildLayerGraph(model));
  const dataset = loadDataset(config.data, config.seed, modelShape(model), raw);
  return { config, backend, model, modelName: describeModelSource(source), analysis, dataset, hardware };
}

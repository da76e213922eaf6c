import { existsSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend/select.js';
import { countModel } from '../cost/count-model.js';
import { readDataset } from '../data/load.js';
import { describeValue, usageError } from '../errors.js';
import { writeKerasArchive, writeKerasH5 } from '../model/keras/write.js';
import { loadModel, saveModel } from '../model/load.js';
import { copyModelMetadata, readTeachableMachineMetadata, writeTrainedMetadata } from '../model/teachable-machine.js';
import { runDirLayout } from '../run-dir/run-dir.js';
import { dataShapeFor } from '../run-state/experiment.js';
import { RunState } from '../run-state/run-state.js';
import { initFromShrink } from '../run-state/seed.js';
import { widthsOf } from '../structure/structure.js';
import { rebuildModel } from '../surgery/rebuild.js';

export const EXPORT_FORMATS = ['keras', 'h5', 'tfjs'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
/** retrain/baseline: a trained stage's model; pruned: the shrunk seed, its weights sliced to the kept channels. */
export const EXPORT_SOURCES = ['retrain', 'baseline', 'pruned'] as const;
export type ExportSource = (typeof EXPORT_SOURCES)[number];

export interface ExportRequest {
  runDir: string;
  format: ExportFormat;
  from?: ExportSource;
  /** The file (keras, h5) or directory (tfjs) to write; default under RUN_DIR/export/. */
  output?: string;
}

export interface ExportResult {
  path: string;
  format: ExportFormat;
  from: ExportSource;
  params: number;
  flops: number;
}

const EXTENSIONS: Record<ExportFormat, string[]> = { keras: ['.keras'], h5: ['.h5', '.hdf5'], tfjs: [] };

function outputPath(request: ExportRequest, from: ExportSource): string {
  if (!request.output) {
    const name = request.format === 'tfjs' ? `${from}-tfjs` : `${from}.${request.format}`;
    return join(resolve(request.runDir), 'export', name);
  }
  const output = resolve(request.output);
  const allowed = EXTENSIONS[request.format];
  if (allowed.length > 0 && !allowed.includes(extname(output).toLowerCase())) {
    // Keras's own load_model picks the reader by extension, so a wrong one would not load.
    throw usageError(`-o: a ${request.format} export must end in ${allowed.join(' or ')}, received ${describeValue(request.output)}`, `e.g. -o model${allowed[0]}`);
  }
  if (request.format === 'tfjs' && existsSync(output) && !statSync(output).isDirectory()) {
    throw usageError(`-o: a tfjs export is a directory (model.json + weights.bin), received the file ${describeValue(request.output)}`, 'pass a directory path');
  }
  return output;
}

/** The shrunk seed with the shrink checkpoint's weights, sliced to the channels alive at the end of shrink. */
async function prunedModel(runDir: string): Promise<tf.LayersModel> {
  const state = RunState.open(runDir, 'shrink');
  const seed = await state.seed();
  const structure = state.shrunk(seed);
  const model = await rebuildModel(seed.model, seed.analysis, widthsOf(structure), state.config.seed);
  await initFromShrink(state, model, structure, `morphnet export -r ${runDir} --from retrain`);
  return model;
}

async function sourceModel(runDir: string, from: ExportSource): Promise<tf.LayersModel> {
  if (from === 'pruned') return prunedModel(runDir);
  const state = RunState.open(runDir, from);
  await initBackend(state.config.backend, state.config.threads);
  return loadModel({ path: join(state.paths.stageModel(from), 'model.json') });
}

/**
 * How the pruned model's metadata.json is written, when the seed is a Teachable Machine export:
 * the seed's, its labels following the model's output units as retrain writes them (the data's
 * class names). The data is read here, before any file of the export is written, so a data
 * folder that moved fails the export without leaving half of it; an image folder is listed,
 * not decoded.
 */
function prunedMetadataWriter(runDir: string, model: tf.LayersModel): ((path: string) => void) | undefined {
  const { config } = RunState.open(runDir, 'shrink');
  if (!readTeachableMachineMetadata(config.model.path)) return undefined;
  const shape = dataShapeFor(model, config);
  const { classNames } = readDataset(config.data, config.seed, shape);
  return (path) => writeTrainedMetadata(path, config.model.path, classNames, shape.numClasses);
}

/** Writes `model` at `path` in `format`; the last step of an export. */
async function writeExport(model: tf.LayersModel, format: ExportFormat, path: string): Promise<void> {
  if (format === 'keras') await writeKerasArchive(model, path);
  else if (format === 'h5') await writeKerasH5(model, path);
  else await saveModel(model, path);
}

/**
 * `morphnet export`: a run's model as a Keras 3 `.keras` archive, a Keras 2 `.h5` file or a tfjs
 * Layers directory, with the same weights.
 */
export async function exportStage(request: ExportRequest): Promise<ExportResult> {
  const from = request.from ?? 'retrain';
  const path = outputPath(request, from);
  const model = await sourceModel(request.runDir, from);
  const prunedMetadata = request.format === 'tfjs' && from === 'pruned' ? prunedMetadataWriter(request.runDir, model) : undefined;
  await writeExport(model, request.format, path);
  // A Teachable Machine model's labels travel with a tfjs export.
  if (request.format === 'tfjs') {
    if (from === 'pruned') prunedMetadata?.(path);
    else copyModelMetadata(runDirLayout(request.runDir).stageModel(from), path);
  }
  const { totals } = countModel(model);
  model.dispose();
  return { path, format: request.format, from, params: totals.totalParams, flops: totals.flops };
}

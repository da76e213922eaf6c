import { existsSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend/select.js';
import type { MorphnetConfig } from '../config/schema.js';
import { countModel } from '../cost/count-model.js';
import { describeValue, usageError } from '../errors.js';
import { writeKerasArchive, writeKerasH5 } from '../model/keras/write.js';
import { describeModelSource, loadModel, saveModel } from '../model/load.js';
import { requireStage, runDirLayout } from '../run-dir/run-dir.js';
import { readShrinkStructure } from '../structure/read-structure.js';
import { rebuildModel } from '../surgery/rebuild.js';
import { loadRunSeed } from './expand.js';
import { modelSourceOf } from './experiment.js';
import { initFromShrink } from './retrain.js';

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
  const manifest = requireStage(runDir, 'shrink');
  const config = manifest.config as MorphnetConfig;
  const { model: seed, analysis } = await loadRunSeed(runDir, config);
  const structure = readShrinkStructure(runDir, analysis, describeModelSource(modelSourceOf(config)));
  const widths = analysis.groups.map((group) => structure.groups[group.id].width);
  const model = await rebuildModel(seed, analysis, widths, config.seed);
  initFromShrink(runDir, seed, analysis, model, widths, analysis.groups.map((group) => structure.groups[group.id].kept), `morphnet export -r ${runDir} --from retrain`);
  return model;
}

async function sourceModel(runDir: string, from: ExportSource): Promise<tf.LayersModel> {
  if (from === 'pruned') return prunedModel(runDir);
  const manifest = requireStage(runDir, from);
  const config = manifest.config as MorphnetConfig;
  await initBackend(config.backend, config.threads);
  return loadModel({ path: join(runDirLayout(runDir).stageModel(from), 'model.json') });
}

/**
 * `morphnet export`: a run's model as a Keras 3 `.keras` archive, a Keras 2 `.h5` file or a tfjs
 * Layers directory, with the same weights.
 */
export async function exportStage(request: ExportRequest): Promise<ExportResult> {
  const from = request.from ?? 'retrain';
  const path = outputPath(request, from);
  const model = await sourceModel(request.runDir, from);
  if (request.format === 'keras') await writeKerasArchive(model, path);
  else if (request.format === 'h5') await writeKerasH5(model, path);
  else await saveModel(model, path);
  const { totals } = countModel(model);
  model.dispose();
  return { path, format: request.format, from, params: totals.totalParams, flops: totals.flops };
}

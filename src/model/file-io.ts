import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { modelError } from '../errors.js';
import { writeFileAtomic } from '../run-dir/atomic.js';

/**
 * A tf.io handler for model.json + weight shards on the local disk. Pure @tensorflow/tfjs has
 * none (its file:// load fails with "fetch failed"); this one reads what the tfjs converter,
 * Teachable Machine and tfjs-node write, and writes model.json + weights.bin that stock
 * `tf.loadLayersModel` reads.
 */
export function fileSystemHandler(modelJsonPath: string): tf.io.IOHandler {
  const path = resolve(modelJsonPath.replace(/^file:\/\//, ''));
  return {
    load: async () => loadArtifacts(path),
    save: async (artifacts) => saveArtifacts(path, artifacts),
  };
}

function loadArtifacts(path: string): tf.io.ModelArtifacts {
  if (!existsSync(path)) {
    throw modelError(`model file ${path} does not exist`, 'pass the path of a tfjs model.json (weights beside it), a zoo:NAME, or see `morphnet --help`');
  }
  let modelJson: tf.io.ModelJSON;
  try {
    modelJson = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw modelError(`model file ${path} is not valid JSON: ${(error as Error).message}`, 'pass a tfjs Layers model.json as written by the tfjs converter or model.save()');
  }
  if (modelJson.modelTopology == null) {
    throw modelError(`model file ${path} has no "modelTopology"`, 'pass a tfjs Layers model.json (a graph model from tf.saveModel conversion cannot be trained)');
  }
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Uint8Array[] = [];
  for (const group of modelJson.weightsManifest ?? []) {
    for (const shard of group.paths) {
      const shardPath = join(dirname(path), shard);
      if (!existsSync(shardPath)) {
        throw modelError(
          `model ${path} lists weight file "${shard}", which is missing (looked for ${shardPath})`,
          'copy every weight shard named in model.json\'s weightsManifest next to it',
        );
      }
      buffers.push(readFileSync(shardPath));
    }
    weightSpecs.push(...group.weights);
  }
  const weightData = concatenate(buffers);
  const expectedBytes = weightSpecs.reduce((sum, spec) => sum + spec.shape.reduce((a, b) => a * b, 1) * bytesPerElement(spec.dtype), 0);
  if (weightData.byteLength < expectedBytes) {
    throw modelError(
      `model ${path}: weight files hold ${weightData.byteLength} bytes, but the manifest needs ${expectedBytes}`,
      'the shards are truncated or from another model; export the model again',
    );
  }
  return {
    modelTopology: modelJson.modelTopology,
    format: modelJson.format,
    generatedBy: modelJson.generatedBy,
    convertedBy: modelJson.convertedBy,
    trainingConfig: modelJson.trainingConfig,
    userDefinedMetadata: modelJson.userDefinedMetadata,
    weightSpecs,
    weightData: weightData.buffer as ArrayBuffer,
  };
}

function bytesPerElement(dtype: string): number {
  return dtype === 'float16' ? 2 : dtype === 'uint8' ? 1 : dtype === 'int16' ? 2 : 4;
}

/** Concatenates byte buffers into one. */
export function concatenate(buffers: Uint8Array[]): Uint8Array {
  const total = buffers.reduce((sum, b) => sum + b.byteLength, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const buffer of buffers) {
    out.set(buffer, offset);
    offset += buffer.byteLength;
  }
  return out;
}

function saveArtifacts(path: string, artifacts: tf.io.ModelArtifacts): tf.io.SaveResult {
  const weightsFile = 'weights.bin';
  const weightData = artifacts.weightData == null ? new ArrayBuffer(0) : tf.io.concatenateArrayBuffers(
    Array.isArray(artifacts.weightData) ? artifacts.weightData : [artifacts.weightData],
  );
  const modelJson: tf.io.ModelJSON = {
    modelTopology: artifacts.modelTopology!,
    format: artifacts.format ?? 'layers-model',
    generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
    convertedBy: artifacts.convertedBy ?? null,
    weightsManifest: [{ paths: [weightsFile], weights: artifacts.weightSpecs ?? [] }],
  };
  if (artifacts.trainingConfig) modelJson.trainingConfig = artifacts.trainingConfig;
  if (artifacts.userDefinedMetadata) modelJson.userDefinedMetadata = artifacts.userDefinedMetadata;
  // Weights first: a model.json that exists always has its weights beside it.
  writeFileAtomic(join(dirname(path), weightsFile), new Uint8Array(weightData));
  writeFileAtomic(path, JSON.stringify(modelJson));
  return {
    modelArtifactsInfo: {
      dateSaved: new Date(),
      modelTopologyType: 'JSON',
      weightDataBytes: weightData.byteLength,
    },
  };
}

let routersRegistered = false;

/** Makes `tf.loadLayersModel('file://...')` and `model.save('file://...')` work without tfjs-node. */
export function registerFileRouters(): void {
  if (routersRegistered) return;
  // tfjs routers answer null for URLs they do not handle, although the type says otherwise.
  const router = ((url: string | string[]) =>
    typeof url === 'string' && url.startsWith('file://')
      ? fileSystemHandler(url.endsWith('.json') ? url : join(url.slice(7), 'model.json'))
      : null) as unknown as Parameters<typeof tf.io.registerLoadRouter>[0];
  tf.io.registerLoadRouter(router);
  tf.io.registerSaveRouter(router);
  routersRegistered = true;
}

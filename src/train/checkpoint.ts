import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { MorphnetError } from '../errors.js';
import { writeFileAtomic, writeJsonAtomic } from '../run-dir/atomic.js';

/** Where a loop is: the next step to run, its epoch and its batch within the epoch. */
export interface LoopPosition {
  step: number;
  epoch: number;
  batchInEpoch: number;
}

interface TensorEntry {
  name: string;
  shape: number[];
  offset: number;
}

function packTensors(tensors: Array<{ name: string; tensor: tf.Tensor }>): { entries: TensorEntry[]; bytes: Uint8Array } {
  const entries: TensorEntry[] = [];
  const arrays: Float32Array[] = [];
  let offset = 0;
  for (const { name, tensor } of tensors) {
    const values = tensor.dataSync() as Float32Array;
    if (!values.every(Number.isFinite)) {
      throw new MorphnetError(
        'runtime',
        `the weight ${name} became non-finite (NaN or infinity)`,
        'lower the learning rate or the regularizer strength; the last good checkpoint is kept, fix the config and rerun with --force',
      );
    }
    entries.push({ name, shape: tensor.shape, offset });
    arrays.push(Float32Array.from(values));
    offset += values.length;
  }
  const all = new Float32Array(offset);
  let at = 0;
  for (const array of arrays) {
    all.set(array, at);
    at += array.length;
  }
  return { entries, bytes: new Uint8Array(all.buffer) };
}

function unpack(entries: TensorEntry[], bytes: Buffer): Array<{ name: string; tensor: tf.Tensor }> {
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return entries.map((e) => {
    const size = e.shape.reduce((a, b) => a * b, 1);
    return { name: e.name, tensor: tf.tensor(all.subarray(e.offset, e.offset + size), e.shape) };
  });
}

/**
 * Saves model weights (including BN moving statistics), optimizer slots and the loop position
 * (refusing non-finite weights, so the last checkpoint is always a good one)
 * into a new `step-NNNNNN` folder, then points `latest.json` at it (an atomic rename), then
 * removes older folders. A kill at any moment leaves the previous checkpoint intact.
 */
export async function saveCheckpoint(dir: string, model: tf.LayersModel, optimizer: tf.Optimizer, position: LoopPosition, extra: Record<string, unknown> = {}): Promise<void> {
  const name = `step-${String(position.step).padStart(6, '0')}`;
  const target = join(dir, name);
  const staging = join(dir, `.${name}.tmp`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    const weights = packTensors(model.weights.map((w, i) => ({ name: `${i}:${w.originalName}`, tensor: w.read() })));
    const optimizerWeights = await optimizer.getWeights();
    const slots = packTensors(optimizerWeights);
    writeFileAtomic(join(staging, 'weights.bin'), weights.bytes);
    writeFileAtomic(join(staging, 'optimizer.bin'), slots.bytes);
    writeJsonAtomic(join(staging, 'checkpoint.json'), { position, weights: weights.entries, optimizer: slots.entries, ...extra });
  } catch (error) {
    // A full disk or a non-finite weight: drop the half-made folder, the previous checkpoint stays latest.
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  rmSync(target, { recursive: true, force: true });
  renameSync(staging, target);
  writeJsonAtomic(join(dir, 'latest.json'), { checkpoint: name, position });
  for (const entry of readdirSync(dir)) {
    if (entry.startsWith('step-') && entry !== name) rmSync(join(dir, entry), { recursive: true, force: true });
  }
}

export interface LoadedCheckpoint {
  position: LoopPosition;
  extra: Record<string, unknown>;
}

function latestFolder(dir: string): string | undefined {
  const latestPath = join(dir, 'latest.json');
  if (!existsSync(latestPath)) return undefined;
  return join(dir, (JSON.parse(readFileSync(latestPath, 'utf8')) as { checkpoint: string }).checkpoint);
}

type CheckpointMeta = { position: LoopPosition; weights: TensorEntry[]; optimizer: TensorEntry[] } & Record<string, unknown>;

function restoreModelWeights(folder: string, meta: CheckpointMeta, model: tf.LayersModel): void {
  const weights = unpack(meta.weights, readFileSync(join(folder, 'weights.bin')));
  if (weights.length !== model.weights.length) {
    throw new Error(`checkpoint ${folder} holds ${weights.length} weights, the model has ${model.weights.length}`);
  }
  model.weights.forEach((w, i) => w.write(weights[i].tensor));
  tf.dispose(weights.map((w) => w.tensor));
}

/** Restores only the model weights of the latest checkpoint (e.g. the shrunk weights for --init pruned). */
export function loadCheckpointWeights(dir: string, model: tf.LayersModel): boolean {
  const folder = latestFolder(dir);
  if (!folder) return false;
  restoreModelWeights(folder, JSON.parse(readFileSync(join(folder, 'checkpoint.json'), 'utf8')), model);
  return true;
}

/** Restores the latest checkpoint into the model and optimizer; undefined when there is none. */
export async function loadCheckpoint(dir: string, model: tf.LayersModel, optimizer: tf.Optimizer): Promise<LoadedCheckpoint | undefined> {
  const folder = latestFolder(dir);
  if (!folder) return undefined;
  const meta = JSON.parse(readFileSync(join(folder, 'checkpoint.json'), 'utf8')) as CheckpointMeta;
  restoreModelWeights(folder, meta, model);
  const slots = unpack(meta.optimizer, readFileSync(join(folder, 'optimizer.bin')));
  await optimizer.setWeights(slots);
  const { position, weights: _w, optimizer: _o, ...extra } = meta;
  return { position, extra };
}

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/select.js';
import { loadConfigFile } from '../../src/config/load.js';
import type { MorphnetConfig } from '../../src/config/schema.js';
import type { Dataset } from '../../src/data/dataset.js';
import { loadDataset } from '../../src/data/load.js';
import { registerFileRouters } from '../../src/model/file-io.js';
import { loadModel } from '../../src/model/load.js';
import { buildZooModel } from '../../src/model/zoo/registry.js';
import { shrinkStage } from '../../src/stages/shrink.js';
import { EpochBatches } from '../../src/train/batches.js';
import { exportCnnWeights } from './cnn-weights.js';
import { writeNpy } from './npy-file.js';
import { startTorchReference } from './torch-reference.js';

/** Alive FLOPs after each epoch (index 0: the seed), and the alive channels per conv at the end. */
export interface ShrinkCurve {
  name: string;
  seed?: number;
  flops: number[];
  alive: Record<string, number>;
}

export interface ReferenceEpochsResult {
  config: string;
  train: number;
  batchSize: number;
  epochs: number;
  lambda: number;
  threshold: number;
  learningRate: number;
  ours: ShrinkCurve;
  reference: ShrinkCurve[];
  oursSeconds: number;
  referenceSeconds: number;
}

export interface ReferenceEpochsOptions {
  configPath: string;
  /** Training samples before the validation split (data.limit). */
  limit: number;
  epochs: number;
  /** Seeds of the variants that draw something at random (data order, fresh initializers). */
  seeds: number[];
  /** shrink.strength (lambda) for both sides; the config's when not given. */
  strength?: number;
  /** The backend of our side (a config's `auto` may fall back to the pure JS backend, about 90 s a step). */
  backend: string;
  /** PyTorch processes the reference variants are spread over. */
  processes: number;
}

/**
 * The variants of the PyTorch reference: `matched` is this project's run in another framework
 * (same initial weights, same data order, BN epsilon 1e-3, inputs in [0, 1]); each other one
 * changes one thing a user coming from elsewhere would have different, then PyTorch's defaults
 * all at once.
 */
const VARIANTS: Array<{ name: string; random: boolean; job: Record<string, unknown> }> = [
  { name: 'matched', random: false, job: {} },
  { name: 'own data order', random: true, job: { orders: null } },
  { name: 'Keras init (glorot uniform)', random: true, job: { init: 'keras' } },
  { name: 'PyTorch init', random: true, job: { init: 'pytorch' } },
  { name: 'BN epsilon 1e-5', random: false, job: { epsilon: 1e-5 } },
  { name: 'standardized inputs', random: false, job: { standardize: true } },
  { name: 'PyTorch defaults (init, epsilon, order)', random: true, job: { init: 'pytorch', epsilon: 1e-5, orders: null } },
];

/** The shipped config with the bench's size: a training subset, a few epochs, nothing exported on the way. */
function benchConfig(options: ReferenceEpochsOptions): { overrides: Record<string, unknown>; config: MorphnetConfig } {
  const overrides: Record<string, unknown> = {
    backend: options.backend,
    'data.limit': options.limit,
    'shrink.epochs': options.epochs,
    'shrink.exportEvery': 1_000_000,
    'shrink.checkpointEvery': 1_000_000,
    ...(options.strength !== undefined ? { 'shrink.strength': options.strength } : {}),
  };
  return { overrides, config: loadConfigFile(options.configPath, overrides) };
}

/** Writes the training samples as shrink sees them, and the order of each epoch's batches, for the reference. */
function writeData(dataset: Dataset, config: MorphnetConfig, epochs: number, directory: string): void {
  const { train } = dataset;
  const all = Int32Array.from({ length: train.count }, (_, i) => i);
  const x = new Float32Array(train.count * train.shape.reduce((a, b) => a * b, 1));
  train.read(all, x);
  writeNpy(join(directory, 'x.npy'), x, [train.count, ...train.shape]);
  writeNpy(join(directory, 'labels.npy'), train.labels, [train.count]);
  const orders = new Int32Array(epochs * train.count);
  for (let epoch = 0; epoch < epochs; epoch++) {
    const batches = new EpochBatches(dataset, config.seed, epoch, config.data.batchSize);
    for (let b = 0; b < batches.count; b++) orders.set(batches.indices(b), epoch * train.count + b * config.data.batchSize);
  }
  writeNpy(join(directory, 'orders.npy'), orders, [epochs, train.count]);
}

/** The weights shrink started from must be the ones the reference got. */
async function assertSameSeed(exported: tf.LayersModel, runDir: string): Promise<void> {
  registerFileRouters();
  const seed = await loadModel({ path: join(runDir, 'seed', 'model.json') });
  exported.weights.forEach((weight, i) => {
    const a = weight.read().dataSync();
    const b = seed.weights[i].read().dataSync();
    if (a.length !== b.length || a.some((v, k) => v !== b[k])) throw new Error(`the seed's ${weight.name} is not the weight given to the reference`);
  });
}

type EpochLine = { run: number; epoch: number; flops: number; alive: Record<string, number> };

/**
 * Runs every reference variant (and seed), spread over `processes` PyTorch processes (each
 * running its share one after another), while our shrink runs here.
 */
async function referenceCurves(base: Record<string, unknown>, seeds: number[], processes: number): Promise<ShrinkCurve[]> {
  const runs = VARIANTS.flatMap((variant) => (variant.random ? seeds : [seeds[0]]).map((seed) => ({ variant, seed })));
  // Process p runs runs p, p + processes, p + 2 * processes, ...: run i is its (i / processes)-th.
  const count = Math.min(processes, runs.length);
  const shares = Array.from({ length: count }, (_, p) => runs.filter((_, i) => i % count === p));
  const outputs = await Promise.all(shares.map((share) => startTorchReference<EpochLine>({ ...base, runs: share.map(({ variant, seed }) => ({ ...variant.job, seed })) })));
  return runs.map(({ variant, seed }, i) => {
    const own = outputs[i % count].filter((line) => line.run === Math.floor(i / count));
    return { name: variant.name, ...(variant.random ? { seed } : {}), flops: own.map((l) => l.flops), alive: own.at(-1)!.alive };
  });
}

/**
 * `npm run bench -- reference`: how fast the alive FLOPs fall over whole epochs at the same
 * lambda in `morphnet shrink` (configs/fashion-mnist-cnn.yaml on a subset of Fashion-MNIST) and
 * in the PyTorch reference, matched and with one difference at a time.
 */
export async function benchReferenceEpochs(options: ReferenceEpochsOptions): Promise<ReferenceEpochsResult> {
  const { overrides, config } = benchConfig(options);
  if (config.model.zoo !== 'cnn' || config.shrink.regularizer !== 'gamma' || config.shrink.target !== 'flops' || config.shrink.optimizer.name !== 'momentum' || typeof config.shrink.strength !== 'number') {
    throw new Error(`${options.configPath}: the reference implements zoo:cnn with the gamma FLOP regularizer, momentum SGD and a numeric shrink.strength`);
  }
  await initBackend(config.backend, config.threads);
  const directory = mkdtempSync(join(tmpdir(), 'morphnet-reference-epochs-'));
  try {
    const dataset = loadDataset(config.data, config.seed, { inputShape: [28, 28, 1], numClasses: 10 });
    writeData(dataset, config, options.epochs, directory);
    const seedModel = buildZooModel('cnn', config.model.options ?? {}, config.seed);
    exportCnnWeights(seedModel, join(directory, 'weights'));
    const base = {
      mode: 'epochs',
      init: 'given',
      weights: join(directory, 'weights'),
      x: join(directory, 'x.npy'),
      labels: join(directory, 'labels.npy'),
      orders: join(directory, 'orders.npy'),
      epochs: options.epochs,
      batchSize: config.data.batchSize,
      lambda: config.shrink.strength,
      threshold: config.shrink.threshold,
      learningRate: config.shrink.optimizer.learningRate,
      momentum: config.shrink.optimizer.momentum ?? 0.9,
    };
    const referenceStart = performance.now();
    let referenceSeconds = 0;
    const pending = referenceCurves(base, options.seeds, options.processes).finally(() => {
      referenceSeconds = (performance.now() - referenceStart) / 1000;
    });
    pending.catch(() => undefined);

    const runDir = join(directory, 'run');
    mkdirSync(runDir);
    const start = performance.now();
    const epochFlops: number[] = [];
    const result = await shrinkStage({ configPath: options.configPath, overrides, runDir, toolVersion: 'bench' }, { epoch: (progress) => void epochFlops.push(progress.cost) });
    const oursSeconds = (performance.now() - start) / 1000;
    await assertSameSeed(seedModel, runDir);
    const alive = Object.fromEntries(Object.entries(result.structure.widths).filter(([layer]) => layer.startsWith('conv')));
    return {
      config: options.configPath,
      train: dataset.train.count,
      batchSize: config.data.batchSize,
      epochs: options.epochs,
      lambda: config.shrink.strength,
      threshold: config.shrink.threshold,
      learningRate: config.shrink.optimizer.learningRate,
      ours: { name: 'morphnet (tfjs)', flops: [result.initialFlops, ...epochFlops], alive },
      reference: await pending,
      oursSeconds,
      referenceSeconds,
    };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

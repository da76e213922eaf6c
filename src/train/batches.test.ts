import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend/select.js';
import { resolveConfig } from '../config/load.js';
import { readSamples, type Dataset } from '../data/dataset.js';
import { loadDataset } from '../data/load.js';
import { epochOrder } from '../data/split.js';
import { EpochBatches, makeBatch } from './batches.js';
import { createOptimizer } from './optimizer.js';
import { trainWithCheckpoints } from './session.js';

beforeAll(async () => {
  await initBackend('cpu');
});

/** 2 classes x 10 PNGs of 6x6, each picture its own gradient, so every batch is different. */
function imageFolder(): string {
  const root = mkdtempSync(join(tmpdir(), 'morphnet-batches-'));
  for (const [c, name] of ['ants', 'bees'].entries()) {
    mkdirSync(join(root, name));
    for (let k = 0; k < 10; k++) {
      const png = new PNG({ width: 6, height: 6 });
      for (let i = 0; i < 36; i++) png.data.set([(c * 120 + k * 9 + i * 3) % 256, (k * 25 + i) % 256, c * 200, 255], i * 4);
      writeFileSync(join(root, name, `${k}.png`), PNG.sync.write(png));
    }
  }
  return root;
}

function dataset(root: string, augment?: { crop: number; flip: boolean }): Dataset {
  const config = resolveConfig({ model: { zoo: 'cnn' }, data: { dataset: 'image-folder', path: root, validationSplit: 0.2, batchSize: 4, augment } }).data;
  return loadDataset(config, 3, { inputShape: [6, 6, 3], numClasses: 2 });
}

function tinyModel(): tf.LayersModel {
  const model = tf.sequential();
  model.add(tf.layers.conv2d({ inputShape: [6, 6, 3], filters: 2, kernelSize: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }));
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));
  return model;
}

/** Trains `totalSteps` steps with checkpoints in `dir` (resuming from one if it is there); returns the weights. */
async function train(data: Dataset, dir: string, totalSteps: number): Promise<number[][]> {
  const model = tinyModel();
  const optimizer = createOptimizer({ name: 'momentum', learningRate: 0.1, momentum: 0.9 });
  await trainWithCheckpoints({
    model,
    optimizer,
    dataset: data,
    batchSize: 4,
    seed: 3,
    totalSteps,
    numClasses: 2,
    outputKind: 'probabilities',
    checkpointDir: join(dir, 'checkpoint'),
    checkpointEvery: 100,
    metricsPath: join(dir, 'metrics.jsonl'),
  });
  return model.getWeights().map((w) => Array.from(w.dataSync()));
}

describe('training batches by index', () => {
  it('batch b of an epoch is positions [4b, 4b + 4) of the epoch\'s permutation, read ahead in the decode workers', async () => {
    const data = dataset(imageFolder());
    const batches = new EpochBatches(data, 3, 1, 4);
    // 20 images, 4 for validation: 16 training samples, 4 batches of 4.
    expect(batches.count).toBe(4);
    const order = epochOrder(16, 3, 1);
    const reference = makeBatch(data.train, 8, 4, order);
    const taken = await batches.take(2);
    expect(Array.from(batches.indices(2))).toEqual(Array.from(order.subarray(8, 12)));
    expect(Array.from(taken.x.dataSync())).toEqual(Array.from(reference.x.dataSync()));
    expect(Array.from(taken.labels.dataSync())).toEqual(Array.from(reference.labels.dataSync()));
    tf.dispose([reference.x, reference.labels, taken.x, taken.labels]);
  });

  it('augments training batches the same way whenever they are taken, and leaves the samples as read', async () => {
    const data = dataset(imageFolder(), { crop: 2, flip: true });
    const first = await new EpochBatches(data, 3, 0, 4).take(1);
    const again = await new EpochBatches(data, 3, 0, 4).take(1);
    const plain = readSamples(data.train, new EpochBatches(data, 3, 0, 4).indices(1));
    expect(Array.from(first.x.dataSync())).toEqual(Array.from(again.x.dataSync()));
    expect(Array.from(first.x.dataSync())).not.toEqual(Array.from(plain));
    tf.dispose([first.x, first.labels, again.x, again.labels]);
  });

  it('a run stopped mid-epoch and resumed from its checkpoint reads the same batches as an uninterrupted one', async () => {
    const root = imageFolder();
    const data = dataset(root, { crop: 2, flip: true });
    // 4 batches an epoch: 10 steps cross two epoch ends; the stop at step 3 is inside epoch 0.
    const uninterrupted = await train(data, mkdtempSync(join(tmpdir(), 'morphnet-run-')), 10);
    const resumedDir = mkdtempSync(join(tmpdir(), 'morphnet-run-'));
    await train(data, resumedDir, 3);
    const resumed = await train(data, resumedDir, 10);
    expect(resumed).toEqual(uninterrupted);
    // The comparison can tell batches apart: without augmentation the same steps end elsewhere.
    const unaugmented = await train(dataset(root), mkdtempSync(join(tmpdir(), 'morphnet-run-')), 10);
    expect(unaugmented).not.toEqual(uninterrupted);
  });
});

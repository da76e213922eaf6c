import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend/select.js';
import { resolveConfig } from '../config/load.js';
import type { DataConfig } from '../config/schema.js';
import { augmentBatch } from './augment.js';
import { readAllSamples, readSamples, readSamplesAhead } from './dataset.js';
import { loadDataset } from './load.js';
import { loadImageFolder } from './sources/image-folder.js';
import { loadNpy, npyFileSamples } from './sources/npy.js';
import { npyBytes } from './test-fixtures.js';

const dataConfig = (data: Record<string, unknown>): DataConfig => resolveConfig({ model: { zoo: 'cnn' }, data }).data;
const tempDir = () => mkdtempSync(join(tmpdir(), 'morphnet-stream-'));

/** A width x height PNG whose pixel (x, y) is rgb(x, y). */
function writePng(file: string, width: number, height: number, pixel: (x: number, y: number) => [number, number, number]) {
  const png = new PNG({ width, height });
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) png.data.set([...pixel(x, y), 255], (y * width + x) * 4);
  writeFileSync(file, PNG.sync.write(png));
}

const options = (path: string, modelInputShape: number[], modelClassNames?: string[]) => ({ path, seed: 1, modelInputShape, modelClasses: 2, modelClassNames });

beforeAll(async () => {
  await initBackend('cpu');
});

describe('image folders, decoded when read', () => {
  it('resizes with tf.image.resizeBilinear (half-pixel centers), the same on this thread and in the decode workers', async () => {
    const root = tempDir();
    for (const name of ['a', 'b']) mkdirSync(join(root, name));
    // 4x4, left half black, right half 200: output column 0 samples source x = (0 + 0.5) * 2 - 0.5 = 0.5
    // (between two black columns), column 1 samples x = 2.5 (between two 200 columns).
    writePng(join(root, 'a/0.png'), 4, 4, (x) => (x < 2 ? [0, 0, 0] : [200, 200, 200]));
    writePng(join(root, 'b/0.png'), 4, 4, (_x, y) => [y * 10, 0, 0]);
    const raw = loadImageFolder(options(root, [2, 2, 1]));
    const here = readSamples(raw.train, [0, 1]);
    // Luma of rgb(v, v, v) is v: sample 0 rows are [0, 200]. Sample 1: red at y = 0.5 -> 5 and y = 2.5 -> 25, luma 0.299 * red.
    expect(Array.from(here.subarray(0, 4))).toEqual([0, 200, 0, 200]);
    const luma = Array.from(here.subarray(4), (v) => Math.round(v * 1000) / 1000);
    expect(luma).toEqual([0.299 * 5, 0.299 * 5, 0.299 * 25, 0.299 * 25].map((v) => Math.round(v * 1000) / 1000));
    expect(Array.from(await readSamplesAhead(raw.train, [1, 0]))).toEqual([...here.subarray(4), ...here.subarray(0, 4)]);
  });

  it('a file that is not an image is a data error naming it, from the workers too', async () => {
    const root = tempDir();
    for (const name of ['a', 'b']) mkdirSync(join(root, name));
    writePng(join(root, 'a/0.png'), 2, 2, () => [1, 2, 3]);
    writeFileSync(join(root, 'b/0.jpg'), 'not a jpeg');
    const raw = loadImageFolder(options(root, [2, 2, 3]));
    expect(() => readSamples(raw.train, [1])).toThrow(`${join(root, 'b/0.jpg')} could not be decoded as PNG or JPEG`);
    await expect(readSamplesAhead(raw.train, [0, 1])).rejects.toThrow(`${join(root, 'b/0.jpg')} could not be decoded as PNG or JPEG`);
  });

  it('classes follow the model\'s label order when the folders are exactly those labels, sorted names otherwise', () => {
    const root = tempDir();
    for (const name of ['Miami', 'Celtics', 'Lakers']) {
      mkdirSync(join(root, name));
      writePng(join(root, name, '0.png'), 2, 2, () => [0, 0, 0]);
    }
    const labels = ['Miami', 'Lakers', 'Celtics'];
    expect(loadImageFolder(options(root, [2, 2, 3], labels)).classNames).toEqual(labels);
    // The file of folder Miami (listed first) has class 0.
    expect(Array.from(loadImageFolder(options(root, [2, 2, 3], labels)).train.labels)).toEqual([0, 1, 2]);
    expect(loadImageFolder(options(root, [2, 2, 3], ['Miami', 'Lakers', 'Knicks'])).classNames).toEqual(['Celtics', 'Lakers', 'Miami']);
    expect(loadImageFolder(options(root, [2, 2, 3])).classNames).toEqual(['Celtics', 'Lakers', 'Miami']);
  });

  it('splits, normalises and standardises streamed images without holding them', () => {
    const root = tempDir();
    for (const [name, value] of [['dark', 10], ['light', 30]] as const) {
      mkdirSync(join(root, name));
      for (let k = 0; k < 3; k++) writePng(join(root, name, `${k}.png`), 2, 2, () => [value, value, value]);
    }
    const data = loadDataset(dataConfig({ dataset: 'image-folder', path: root, validationSplit: 0.5, normalize: 'standardize' }), 1, { inputShape: [2, 2, 1], numClasses: 2 });
    expect(data.train.x).toBeUndefined();
    expect([data.train.count, data.validation.count]).toEqual([3, 3]);
    // Over all 6 images: mean (10 + 30) / 2 = 20, std 10, so 10 -> -1 and 30 -> +1.
    for (const part of [data.train, data.validation]) {
      const values = readAllSamples(part);
      part.labels.forEach((label, i) => expect(Array.from(values.subarray(i * 4, i * 4 + 4))).toEqual(Array(4).fill(label === 0 ? -1 : 1)));
    }
    const tm = loadDataset(dataConfig({ dataset: 'image-folder', path: root, validationSplit: 0, normalize: 'teachable-machine' }), 1, { inputShape: [2, 2, 1], numClasses: 2 });
    // Teachable Machine's scaling: 10 / 127 - 1 and 30 / 127 - 1.
    const values = readAllSamples(tm.train);
    tm.train.labels.forEach((label, i) => expect(values[i * 4]).toBeCloseTo((label === 0 ? 10 : 30) / 127 - 1, 6));
  });
});

describe('large .npy files, read at offsets', () => {
  it('reads the rows a batch asks for, as the whole-file parser does', () => {
    const dir = tempDir();
    const values = Array.from({ length: 5 * 6 }, (_, i) => i * 0.5);
    writeFileSync(join(dir, 'x.npy'), npyBytes([5, 2, 3], values, '<f4'));
    writeFileSync(join(dir, 'y.npy'), npyBytes([5], [0, 1, 0, 1, 1], '<f4'));
    const streamed = npyFileSamples(join(dir, 'x.npy'), new Int32Array(5));
    // [N, H, W] gains a channel; row 3 is values 18..23, row 0 values 0..5.
    expect(streamed.shape).toEqual([2, 3, 1]);
    expect(Array.from(readSamples(streamed, [3, 0]))).toEqual([...values.slice(18, 24), ...values.slice(0, 6)]);
    const whole = loadNpy(options(dir, [2, 3, 1]));
    const sliced = loadNpy(options(dir, [2, 3, 1]), 0);
    expect(whole.train.x).toBeDefined();
    expect(sliced.train.x).toBeUndefined();
    expect(Array.from(readAllSamples(sliced.train))).toEqual(Array.from(readAllSamples(whole.train)));
    expect(Array.from(sliced.train.labels)).toEqual([0, 1, 0, 1, 1]);
  });
});

describe('data.augment', () => {
  it('shifts into zero padding and mirrors, as drawn', () => {
    // One 3x3 single-channel image 1..9. Draws: dy = floor(0 * 3) - 1 = -1, dx = floor(0.9 * 3) - 1 = +1, flip (0.2 < 0.5).
    // Output (y, x) takes source (y - 1, (2 - x) + 1): row 0 is padding; row 1 takes source row 0 at
    // columns 3, 2, 1 -> [0, 3, 2]; row 2 takes source row 1 -> [0, 6, 5].
    const values = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const draws = [0, 0.9, 0.2];
    augmentBatch(values, [3, 3, 1], { crop: 1, flip: true }, () => draws.shift()!);
    expect(Array.from(values)).toEqual([0, 0, 0, 0, 3, 2, 0, 6, 5]);
  });

  it('is refused for non-image data and for crops as large as the image, naming the key', () => {
    expect(() => loadDataset(dataConfig({ dataset: 'synthetic', samples: 8, augment: { flip: true } }), 1, { inputShape: [4], numClasses: 2 })).toThrow(
      'data.augment: crops and flips need image samples [height, width, channels], the model input is [4]',
    );
    expect(() => loadDataset(dataConfig({ dataset: 'synthetic', samples: 8, augment: { crop: 4 } }), 1, { inputShape: [4, 4, 1], numClasses: 2 })).toThrow(
      'data.augment.crop: expected fewer pixels than the image side (4), received 4',
    );
  });
});

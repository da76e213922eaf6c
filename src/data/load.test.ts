import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../config/load.js';
import type { DataConfig } from '../config/schema.js';
import { MorphnetError } from '../errors.js';
import { readAllSamples } from './dataset.js';
import { loadDataset } from './load.js';
import { loadMnist } from './sources/mnist.js';
import { epochOrder } from './split.js';
import { npyBytes } from './test-fixtures.js';

const dataConfig = (data: Record<string, unknown>): DataConfig => resolveConfig({ model: { zoo: 'cnn' }, data }).data;
const tempDir = () => mkdtempSync(join(tmpdir(), 'morphnet-data-'));

/** IDX: magic 0,0,type,rank then big-endian uint32 dims, then the values. */
function idxBytes(type: number, shape: number[], values: number[]): Buffer {
  const header = Buffer.alloc(4 + 4 * shape.length);
  header.writeUInt8(type, 2);
  header.writeUInt8(shape.length, 3);
  shape.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(values)]);
}

describe('data sources', () => {
  it('mnist ships 10,000 real digits, every sixth of each class held out for test', () => {
    const mnist = loadMnist();
    // Digits per class in the mnist package: 1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978.
    const perClass = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];
    const numTest = perClass.reduce((sum, c) => sum + Math.floor(c / 6), 0);
    expect(mnist.train.count + mnist.test!.count).toBe(10_000);
    expect(mnist.test!.count).toBe(numTest);
    expect(mnist.train.shape).toEqual([28, 28, 1]);
    expect(Math.max(...mnist.train.x.subarray(0, 5000))).toBeLessThanOrEqual(1);
  });

  it('reads IDX files, gzipped or raw, and scales 8-bit pixels to [0, 1]', () => {
    const dir = tempDir();
    const pixels = Array.from({ length: 4 * 2 * 2 }, (_, i) => i * 10);
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(idxBytes(0x08, [4, 2, 2], pixels)));
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idxBytes(0x08, [4], [0, 1, 2, 1]));
    const data = loadDataset(dataConfig({ dataset: 'idx', path: dir, validationSplit: 0.25 }), 1, { inputShape: [2, 2, 1], numClasses: 3 });
    expect(data.train.count).toBe(3);
    expect(data.validation.count).toBe(1);
    const all = [...readAllSamples(data.train), ...readAllSamples(data.validation)].sort((a, b) => a - b);
    expect(all[all.length - 1]).toBeCloseTo(150 / 255, 6);
  });

  it('reads x.npy / y.npy folders and keras-style .npz files, with one-hot or index labels', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'x.npy'), npyBytes([3, 2], [1, 2, 3, 4, 5, 6], '<f4'));
    writeFileSync(join(dir, 'y.npy'), npyBytes([3], [0, 1, 1], '<i8'));
    const folder = loadDataset(dataConfig({ dataset: 'npy', path: dir, validationSplit: 0 }), 1, { inputShape: [2], numClasses: 2 });
    expect(folder.train.count).toBe(3);
    const npz = join(dir, 'data.npz');
    writeFileSync(npz, zipSync({ 'x_train.npy': npyBytes([2, 2], [1, 2, 3, 4], '<f4'), 'y_train.npy': npyBytes([2, 2], [0, 1, 1, 0], '<f4') }));
    const zipped = loadDataset(dataConfig({ dataset: 'npy', path: npz, validationSplit: 0, normalize: 'none' }), 1, { inputShape: [2], numClasses: 2 });
    const byFirst = new Map<number, number>();
    const values = readAllSamples(zipped.train);
    for (let i = 0; i < 2; i++) byFirst.set(values[i * 2], zipped.train.labels[i]);
    expect(byFirst.get(1)).toBe(1); // [0, 1] one-hot -> class 1
    expect(byFirst.get(3)).toBe(0);
  });

  it('reads CSV with a named label column of class names', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'd.csv'), 'a,b,kind\n1,2,cat\n3,4,dog\n5,6,cat\n');
    const data = loadDataset(dataConfig({ dataset: 'csv', path: join(dir, 'd.csv'), labelColumn: 'kind', validationSplit: 0 }), 1, { inputShape: [2], numClasses: 2 });
    expect(data.classNames).toEqual(['cat', 'dog']);
    expect(Array.from(data.train.labels).sort()).toEqual([0, 0, 1]);
  });

  it('reads CSV written by Python csv.QUOTE_ALL: commas, doubled quotes and line breaks inside quoted labels', () => {
    // What csv.writer(f, quoting=csv.QUOTE_ALL) writes (CRLF after each row) for three samples
    // of two features; three quoted labels hold a comma, a doubled quote and a line break.
    const dir = tempDir();
    const text = [
      '"pixel0","pixel1","label"',
      '"0","255","Ankle boot, leather"',
      '"0.5","-1.25","Shirt ""Oxford"", blue"',
      '"3","4","T-shirt\ntop"',
      '',
    ].join('\r\n');
    writeFileSync(join(dir, 'd.csv'), text);
    const data = loadDataset(dataConfig({ dataset: 'csv', path: join(dir, 'd.csv'), validationSplit: 0, normalize: 'none' }), 1, { inputShape: [2], numClasses: 3 });
    // Class names in sorted order: "A" < "S" < "T".
    expect(data.classNames).toEqual(['Ankle boot, leather', 'Shirt "Oxford", blue', 'T-shirt\ntop']);
    expect(data.train.count).toBe(3);
    const featuresByLabel = new Map<number, number[]>();
    const values = readAllSamples(data.train);
    for (let i = 0; i < 3; i++) featuresByLabel.set(data.train.labels[i], [values[2 * i], values[2 * i + 1]]);
    expect(featuresByLabel.get(0)).toEqual([0, 255]);
    expect(featuresByLabel.get(1)).toEqual([0.5, -1.25]);
    expect(featuresByLabel.get(2)).toEqual([3, 4]);
  });

  it('names the line of a CSV row with a wrong column count, counting line breaks inside quotes', () => {
    // The header is line 1, the first row spans lines 2-3, the short row is on line 4.
    const dir = tempDir();
    writeFileSync(join(dir, 'd.csv'), 'a,b,label\n1,2,"two\nlines"\n3,cat\n');
    expect(() => loadDataset(dataConfig({ dataset: 'csv', path: join(dir, 'd.csv'), validationSplit: 0 }), 1, { inputShape: [2], numClasses: 2 })).toThrow(
      `${join(dir, 'd.csv')}:4: expected 3 columns, received 2`,
    );
  });

  it('reads an image folder (PNG and JPEG), resized and converted to the model input', () => {
    const root = tempDir();
    for (const [name, value] of [['dark', 0], ['light', 255]] as const) {
      mkdirSync(join(root, name));
      const png = new PNG({ width: 4, height: 4 });
      png.data.fill(value);
      for (let i = 3; i < png.data.length; i += 4) png.data[i] = 255;
      writeFileSync(join(root, name, 'a.png'), PNG.sync.write(png));
      const rgba = Buffer.alloc(8 * 8 * 4, value);
      writeFileSync(join(root, name, 'b.jpg'), jpeg.encode({ data: rgba, width: 8, height: 8 }, 95).data);
    }
    const data = loadDataset(dataConfig({ dataset: 'image-folder', path: root, validationSplit: 0 }), 1, { inputShape: [2, 2, 1], numClasses: 2 });
    expect(data.train.count).toBe(4);
    const values = readAllSamples(data.train);
    for (let i = 0; i < 4; i++) expect(values[i * 4]).toBeCloseTo(data.train.labels[i], 1);
  });

  it('makes synthetic data deterministic for a seed', () => {
    const config = dataConfig({ dataset: 'synthetic', samples: 20 });
    const a = loadDataset(config, 7, { inputShape: [3], numClasses: 4 });
    const b = loadDataset(config, 7, { inputShape: [3], numClasses: 4 });
    expect(Array.from(readAllSamples(a.train))).toEqual(Array.from(readAllSamples(b.train)));
    expect(a.train.count + a.validation.count).toBe(20);
  });

  it('refuses data that does not fit the model, naming both shapes', () => {
    const error = (() => {
      try {
        loadDataset(dataConfig({ dataset: 'mnist' }), 1, { inputShape: [32, 32, 3], numClasses: 10 });
      } catch (e) {
        return e as MorphnetError;
      }
    })();
    expect(error).toBeInstanceOf(MorphnetError);
    expect(error!.message).toContain('[28,28,1] (784 values) do not fit the model input [32,32,3] (3072 values)');
    expect(error!.exitCode).toBe(2);
  });

  it('refuses data with fewer classes than the model has outputs, naming both counts and model.classes', () => {
    const error = (() => {
      try {
        loadDataset(dataConfig({ dataset: 'synthetic', samples: 12, classes: 3 }), 1, { inputShape: [4], numClasses: 30 });
      } catch (e) {
        return e as MorphnetError;
      }
    })()!;
    expect(error).toBeInstanceOf(MorphnetError);
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe('synthetic has 3 classes but the model has 30 outputs; expected as many outputs as classes');
    expect(error.hint).toBe('set model.classes: 3 (or auto) to train the model for the data\'s 3 classes with a fresh classifier head, or use data with 30 classes');
  });

  it('refuses data with more classes than the model has outputs, with the same fix', () => {
    expect(() => loadDataset(dataConfig({ dataset: 'synthetic', samples: 12, classes: 12 }), 1, { inputShape: [4], numClasses: 10 })).toThrow(
      expect.objectContaining({
        message: 'synthetic has 12 classes but the model has 10 outputs; expected as many outputs as classes',
        hint: expect.stringMatching(/^set model\.classes: 12 \(or auto\)/),
      }),
    );
  });

  it('limits training samples to a shuffled subset, covering the classes', () => {
    const data = loadDataset(dataConfig({ dataset: 'mnist', limit: 500, validationSplit: 0.2 }), 1, { inputShape: [28, 28, 1], numClasses: 10 });
    expect(data.train.count + data.validation.count).toBe(500);
    expect(new Set(data.train.labels).size).toBe(10);
  });

  it('orders epochs deterministically per seed and epoch', () => {
    expect(Array.from(epochOrder(10, 1, 0))).toEqual(Array.from(epochOrder(10, 1, 0)));
    expect(Array.from(epochOrder(10, 1, 0))).not.toEqual(Array.from(epochOrder(10, 1, 1)));
  });
});

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { dataError } from '../../errors.js';
import { makeSamples, type RawDataset, type SourceOptions } from '../dataset.js';

/** IDX element types (the third magic byte) and how to read one element. */
const IDX_TYPES: Record<number, { bytes: number; read: (view: DataView, offset: number) => number }> = {
  0x08: { bytes: 1, read: (v, o) => v.getUint8(o) },
  0x09: { bytes: 1, read: (v, o) => v.getInt8(o) },
  0x0b: { bytes: 2, read: (v, o) => v.getInt16(o) },
  0x0c: { bytes: 4, read: (v, o) => v.getInt32(o) },
  0x0d: { bytes: 4, read: (v, o) => v.getFloat32(o) },
  0x0e: { bytes: 8, read: (v, o) => v.getFloat64(o) },
};

/** Parses an IDX file (raw or gzip): big-endian dims after a magic of 0, 0, type, rank. */
export function parseIdx(file: string): { shape: number[]; values: Float32Array } {
  let bytes: Buffer = readFileSync(file);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = IDX_TYPES[bytes[2]];
  if (bytes.byteLength < 4 || bytes[0] !== 0 || bytes[1] !== 0 || !type) {
    throw dataError(`${file} is not an IDX file (magic bytes ${Array.from(bytes.subarray(0, 4)).join(',')})`, 'idx datasets need MNIST-format files such as train-images-idx3-ubyte.gz');
  }
  const rank = bytes[3];
  const shape = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  const count = shape.reduce((a, b) => a * b, 1);
  const start = 4 + 4 * rank;
  if (bytes.byteLength < start + count * type.bytes) {
    throw dataError(`${file} is truncated: its header promises ${count} values`, 'download or copy the file again');
  }
  const values = new Float32Array(count);
  if (type.bytes === 1 && bytes[2] === 0x08) values.set(bytes.subarray(start, start + count));
  else for (let i = 0; i < count; i++) values[i] = type.read(view, start + i * type.bytes);
  return { shape, values };
}

function findFile(dir: string, patterns: RegExp[]): string | undefined {
  const files = readdirSync(dir).sort();
  for (const pattern of patterns) {
    const found = files.find((f) => pattern.test(f));
    if (found) return join(dir, found);
  }
  return undefined;
}

function readPair(dir: string, part: 'train' | 'test') {
  const prefixes = part === 'train' ? ['train'] : ['t10k', 'test'];
  const images = findFile(dir, prefixes.map((p) => new RegExp(`^${p}-images`)));
  const labels = findFile(dir, prefixes.map((p) => new RegExp(`^${p}-labels`)));
  if (!images || !labels) return undefined;
  const x = parseIdx(images);
  const y = parseIdx(labels);
  if (x.shape[0] !== y.shape[0]) {
    throw dataError(`${images} holds ${x.shape[0]} images but ${labels} holds ${y.shape[0]} labels`, 'use matching image and label files');
  }
  const shape = x.shape.length === 3 ? [...x.shape.slice(1), 1] : x.shape.slice(1);
  return makeSamples(x.values, Int32Array.from(y.values), shape);
}

/**
 * A folder of MNIST-family IDX files (MNIST, Fashion-MNIST, KMNIST, EMNIST):
 * train-images-*, train-labels-*, and optionally t10k-/test- images and labels, raw or .gz.
 */
export function loadIdx(options: SourceOptions): RawDataset {
  const dir = options.path;
  if (!dir || !existsSync(dir) || !statSync(dir).isDirectory()) {
    throw dataError(
      `data.path: expected a folder of IDX files, received ${JSON.stringify(dir)}`,
      'e.g. /usr/share/datasets/fashion-mnist (apt-get install dataset-fashion-mnist)',
    );
  }
  const train = readPair(dir, 'train');
  if (!train) throw dataError(`data.path ${dir} has no train-images-*/train-labels-* IDX files`, 'point data.path at the folder holding them');
  const test = readPair(dir, 'test');
  let numClasses = 0;
  for (const label of train.labels) numClasses = Math.max(numClasses, label + 1);
  return { name: `idx:${dir}`, train, test, numClasses };
}

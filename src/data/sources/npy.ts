import { existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { dataError } from '../../errors.js';
import { makeSamples, sampleSize, type RawDataset, type SourceOptions, type Samples } from '../dataset.js';

const DTYPES: Record<string, { bytes: number; read: (view: DataView, offset: number, little: boolean) => number }> = {
  f4: { bytes: 4, read: (v, o, le) => v.getFloat32(o, le) },
  f8: { bytes: 8, read: (v, o, le) => v.getFloat64(o, le) },
  u1: { bytes: 1, read: (v, o) => v.getUint8(o) },
  i1: { bytes: 1, read: (v, o) => v.getInt8(o) },
  b1: { bytes: 1, read: (v, o) => v.getUint8(o) },
  u2: { bytes: 2, read: (v, o, le) => v.getUint16(o, le) },
  i2: { bytes: 2, read: (v, o, le) => v.getInt16(o, le) },
  i4: { bytes: 4, read: (v, o, le) => v.getInt32(o, le) },
  u4: { bytes: 4, read: (v, o, le) => v.getUint32(o, le) },
  i8: { bytes: 8, read: (v, o, le) => Number(v.getBigInt64(o, le)) },
  u8: { bytes: 8, read: (v, o, le) => Number(v.getBigUint64(o, le)) },
};

interface NpyHeader {
  shape: number[];
  dtype: (typeof DTYPES)[string];
  float32Little: boolean;
  little: boolean;
  /** Byte offset of the first value. */
  dataStart: number;
}

/** Parses the header of a NumPy .npy file (format versions 1-3, C order, numeric dtypes) from its first bytes. */
function parseNpyHeader(bytes: Uint8Array, name: string): NpyHeader {
  const magic = String.fromCharCode(...bytes.subarray(1, 6));
  if (bytes[0] !== 0x93 || magic !== 'NUMPY') throw dataError(`${name} is not a .npy file`, 'save arrays with numpy.save or numpy.savez');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(headerStart, headerStart + headerLength));
  const descr = /'descr':\s*'([<>|=])([a-z]\d+)'/.exec(header);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header);
  if (!descr || !shapeText) throw dataError(`${name}: cannot read the .npy header ${header.trim()}`, 'save a plain numeric array');
  if (/'fortran_order':\s*True/.test(header)) throw dataError(`${name} is stored in Fortran order`, 'save np.ascontiguousarray(a) instead');
  const dtype = DTYPES[descr[2]];
  if (!dtype) throw dataError(`${name}: dtype ${descr[2]} is not supported; expected one of ${Object.keys(DTYPES).join(', ')}`, 'convert with a.astype("float32")');
  const shape = shapeText[1].split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const little = descr[1] !== '>';
  return { shape, dtype, little, float32Little: descr[2] === 'f4' && little, dataStart: headerStart + headerLength };
}

/** `count` values of the header's dtype starting at byte `start` of `bytes`, as float32. */
function decodeValues(header: NpyHeader, bytes: Uint8Array, start: number, count: number, out: Float32Array, at = 0): void {
  if (header.float32Little && (bytes.byteOffset + start) % 4 === 0) {
    out.set(new Float32Array(bytes.buffer, bytes.byteOffset + start, count), at);
    return;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < count; i++) out[at + i] = header.dtype.read(view, start + i * header.dtype.bytes, header.little);
}

/** Parses a whole NumPy .npy file held in memory. */
export function parseNpy(bytes: Uint8Array, name: string): { shape: number[]; values: Float32Array } {
  const header = parseNpyHeader(bytes, name);
  const count = header.shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(count);
  decodeValues(header, bytes, header.dataStart, count, values);
  return { shape: header.shape, values };
}

/** .npy files larger than this are read in slices as batches need them, not loaded whole. */
export const STREAM_NPY_BYTES = 256 * 1024 ** 2;
/** Enough for any .npy header (version 2+ headers may be longer than 64 KiB only with absurd shapes). */
const HEADER_BYTES = 64 * 1024;

/** The shape of the samples of an array of `shape` ([N, H, W] images gain a channel). */
const sampleShapeOf = (shape: number[]) => (shape.length === 3 ? [...shape.slice(1), 1] : shape.slice(1));

/**
 * The rows of a .npy file as samples read with positioned reads (fs.readSync at each row's
 * offset) when a batch needs them: memory stays one batch whatever the file's size.
 */
export function npyFileSamples(file: string, labels: Int32Array): Samples {
  const fd = openSync(file, 'r');
  const head = new Uint8Array(HEADER_BYTES);
  readSync(fd, head, 0, HEADER_BYTES, 0);
  const header = parseNpyHeader(head, file);
  if (header.shape[0] !== labels.length) {
    throw dataError(`${file} has ${header.shape[0]} samples but there are ${labels.length} labels`, 'save matching arrays');
  }
  const shape = sampleShapeOf(header.shape);
  const size = sampleSize(shape);
  const rowBytes = size * header.dtype.bytes;
  const row = new Uint8Array(rowBytes);
  return {
    count: labels.length,
    shape,
    labels,
    read(indices, out) {
      for (let i = 0; i < indices.length; i++) {
        readSync(fd, row, 0, rowBytes, header.dataStart + indices[i] * rowBytes);
        decodeValues(header, row, 0, size, out, i * size);
      }
    },
  };
}

/** Labels may be class indices [N] or one-hot [N, K]. */
function toLabels(y: { shape: number[]; values: Float32Array }, name: string): Int32Array {
  if (y.shape.length === 1) return Int32Array.from(y.values);
  if (y.shape.length === 2) {
    const [count, classes] = y.shape;
    const labels = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      let best = 0;
      for (let k = 1; k < classes; k++) if (y.values[i * classes + k] > y.values[i * classes + best]) best = k;
      labels[i] = best;
    }
    return labels;
  }
  throw dataError(`${name}: labels must have shape [N] or [N, classes], received [${y.shape}]`, 'save class indices or one-hot rows');
}

/** An array's bytes, or the path of a .npy file too large to load (read in slices instead). */
type NpyArray = Uint8Array | string;

function samplesFrom(arrays: Map<string, NpyArray>, xName: string, yName: string, source: string): Samples | undefined {
  const xArray = arrays.get(xName);
  const yArray = arrays.get(yName);
  if (!xArray || !yArray) return undefined;
  const yBytes = typeof yArray === 'string' ? readFileSync(yArray) : yArray;
  const labels = toLabels(parseNpy(yBytes, `${source}:${yName}`), `${source}:${yName}`);
  if (typeof xArray === 'string') return npyFileSamples(xArray, labels);
  const x = parseNpy(xArray, `${source}:${xName}`);
  if (x.shape[0] !== labels.length) {
    throw dataError(`${source}: ${xName} has ${x.shape[0]} samples but ${yName} has ${labels.length} labels`, 'save matching arrays');
  }
  return makeSamples(x.values, labels, sampleShapeOf(x.shape));
}

/**
 * NumPy data: a folder with x.npy and y.npy (optionally x_test.npy, y_test.npy), or one .npz
 * holding x/y or x_train/y_train/x_test/y_test (the layout of keras.datasets). In a folder, a
 * file larger than `streamAbove` bytes is read in slices as batches need it; an .npz is
 * compressed and is loaded whole.
 */
export function loadNpy(options: SourceOptions, streamAbove = STREAM_NPY_BYTES): RawDataset {
  const path = options.path;
  if (!path || !existsSync(path)) {
    throw dataError(`data.path: expected an .npz file or a folder with x.npy and y.npy, received ${JSON.stringify(path)}`, 'check the path');
  }
  const arrays = new Map<string, NpyArray>();
  if (statSync(path).isDirectory()) {
    for (const name of ['x', 'y', 'x_train', 'y_train', 'x_test', 'y_test']) {
      const file = join(path, `${name}.npy`);
      if (existsSync(file)) arrays.set(name, statSync(file).size > streamAbove ? file : readFileSync(file));
    }
  } else {
    for (const [entry, bytes] of Object.entries(unzipSync(readFileSync(path)))) arrays.set(entry.replace(/\.npy$/, ''), bytes);
  }
  const train = samplesFrom(arrays, 'x_train', 'y_train', path) ?? samplesFrom(arrays, 'x', 'y', path);
  if (!train) {
    throw dataError(`${path} holds arrays [${[...arrays.keys()].join(', ')}], expected x and y (or x_train and y_train)`, 'name the arrays x and y');
  }
  const test = samplesFrom(arrays, 'x_test', 'y_test', path);
  let numClasses = 0;
  for (const label of train.labels) numClasses = Math.max(numClasses, label + 1);
  return { name: `npy:${path}`, train, test, numClasses };
}

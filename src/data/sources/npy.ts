import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { dataError } from '../../errors.js';
import { makeSamples, type RawDataset, type SourceOptions, type Samples } from '../dataset.js';

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

/** Parses a NumPy .npy file (format versions 1-3, C order, numeric dtypes). */
export function parseNpy(bytes: Uint8Array, name: string): { shape: number[]; values: Float32Array } {
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
  const count = shape.reduce((a, b) => a * b, 1);
  const little = descr[1] !== '>';
  const start = headerStart + headerLength;
  const values = new Float32Array(count);
  if (descr[2] === 'f4' && little && (bytes.byteOffset + start) % 4 === 0) values.set(new Float32Array(bytes.buffer, bytes.byteOffset + start, count));
  else for (let i = 0; i < count; i++) values[i] = dtype.read(view, start + i * dtype.bytes, little);
  return { shape, values };
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

function samplesFrom(arrays: Map<string, Uint8Array>, xName: string, yName: string, source: string): Samples | undefined {
  const xBytes = arrays.get(xName);
  const yBytes = arrays.get(yName);
  if (!xBytes || !yBytes) return undefined;
  const x = parseNpy(xBytes, `${source}:${xName}`);
  const labels = toLabels(parseNpy(yBytes, `${source}:${yName}`), `${source}:${yName}`);
  if (x.shape[0] !== labels.length) {
    throw dataError(`${source}: ${xName} has ${x.shape[0]} samples but ${yName} has ${labels.length} labels`, 'save matching arrays');
  }
  const shape = x.shape.length === 3 ? [...x.shape.slice(1), 1] : x.shape.slice(1);
  return makeSamples(x.values, labels, shape);
}

/**
 * NumPy data: a folder with x.npy and y.npy (optionally x_test.npy, y_test.npy), or one .npz
 * holding x/y or x_train/y_train/x_test/y_test (the layout of keras.datasets).
 */
export function loadNpy(options: SourceOptions): RawDataset {
  const path = options.path;
  if (!path || !existsSync(path)) {
    throw dataError(`data.path: expected an .npz file or a folder with x.npy and y.npy, received ${JSON.stringify(path)}`, 'check the path');
  }
  const arrays = new Map<string, Uint8Array>();
  if (statSync(path).isDirectory()) {
    for (const name of ['x', 'y', 'x_train', 'y_train', 'x_test', 'y_test']) {
      const file = join(path, `${name}.npy`);
      if (existsSync(file)) arrays.set(name, readFileSync(file));
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

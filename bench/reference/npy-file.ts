import { writeFileSync } from 'node:fs';

/**
 * Writes a NumPy .npy file (format 1.0, little-endian, C order) that numpy.load reads:
 * float32 ('<f4') or int32 ('<i4') values of the given shape.
 */
export function writeNpy(path: string, values: Float32Array | Int32Array, shape: number[]): void {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== values.length) throw new Error(`writeNpy ${path}: shape [${shape}] holds ${count} values, received ${values.length}`);
  const descr = values instanceof Float32Array ? '<f4' : '<i4';
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // Magic (6) + version (2) + header length (2) + header, padded with spaces to a multiple of 64, ending in \n.
  const header = `${dict.padEnd(Math.ceil((10 + dict.length + 1) / 64) * 64 - 10 - 1, ' ')}\n`;
  const preamble = Buffer.alloc(10);
  preamble.write('\x93NUMPY', 0, 'latin1');
  preamble[6] = 1;
  preamble[7] = 0;
  preamble.writeUInt16LE(header.length, 8);
  const data = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  writeFileSync(path, Buffer.concat([preamble, Buffer.from(header, 'latin1'), data]));
}

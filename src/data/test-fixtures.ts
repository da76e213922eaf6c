/** Files for data tests, written as numpy would write them. */

/** A minimal .npy (version 1.0) of float32 or int64 little-endian values. */
export function npyBytes(shape: number[], values: number[], dtype: '<f4' | '<i8'): Uint8Array {
  let header = `{'descr': '${dtype}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header = `${header.padEnd(Math.ceil((header.length + 11) / 64) * 64 - 11)}\n`;
  const body = dtype === '<f4' ? Buffer.from(new Float32Array(values).buffer) : Buffer.from(new BigInt64Array(values.map(BigInt)).buffer);
  const prefix = Buffer.alloc(10);
  prefix.writeUInt8(0x93, 0);
  prefix.write('NUMPY', 1);
  prefix.writeUInt8(1, 6);
  prefix.writeUInt16LE(header.length, 8);
  return Buffer.concat([prefix, Buffer.from(header), body]);
}

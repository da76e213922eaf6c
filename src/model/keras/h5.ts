/** h5wasm, loaded on first use: HDF5 files opened by path on the real file system. */
type H5Module = typeof import('h5wasm');
export type H5File = InstanceType<H5Module['File']>;
export type H5Group = InstanceType<H5Module['Group']>;
export type H5Dataset = InstanceType<H5Module['Dataset']>;

export async function openH5(path: string, mode: 'r' | 'w'): Promise<H5File> {
  const h5wasm = (await import('h5wasm/node')) as unknown as H5Module & { ready: Promise<unknown> };
  await h5wasm.ready;
  return new h5wasm.File(path, mode);
}

/** An HDF5 string-list attribute as strings (Keras writes empty lists as empty float arrays). */
export function stringList(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String).filter((name) => name !== '');
  if (value == null || (typeof value === 'object' && 'length' in value)) return [];
  return [String(value)].filter((name) => name !== '');
}

/** The members of a group, or nothing when `path` is not a group. */
export function groupAt(root: H5Group, path: string): H5Group | undefined {
  const entity = root.get(path);
  return entity && (entity as H5Group).type === 'Group' ? (entity as H5Group) : undefined;
}

export function writeFloat32(group: H5Group, name: string, values: Float32Array, shape: number[]): void {
  group.create_dataset({ name, data: values, shape, dtype: '<f' });
}

/** A variable-length ASCII string (list) attribute, as h5py writes Python strings Keras encodes. */
export function writeAsciiAttribute(group: H5Group, name: string, value: string | string[]): void {
  if (Array.isArray(value) && value.length === 0) group.create_attribute(name, new Float64Array(0), [0]);
  else group.create_attribute(name, value, Array.isArray(value) ? [value.length] : [], 'A');
}

/** A variable-length UTF-8 string attribute. */
export function writeUtf8Attribute(group: H5Group, name: string, value: string): void {
  group.create_attribute(name, value, [], 'S');
}

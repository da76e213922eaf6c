import { readFileSync } from 'node:fs';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { dataError } from '../../errors.js';

/** Decoded pixels: width x height RGBA bytes. */
export interface Rgba {
  width: number;
  height: number;
  data: Uint8Array;
}

/** What decoding needs, passed in so the same function runs in the decode workers. */
export interface DecodeLibraries {
  readFileSync: (file: string) => Uint8Array;
  jpeg: { decode: (bytes: Uint8Array, options: { useTArray: true; formatAsRGBA: true }) => Rgba };
  PNG: { sync: { read: (bytes: Buffer) => Rgba } };
}

/**
 * A PNG or JPEG file's pixels. Self-contained (uses only its arguments, no inner functions):
 * the decode workers run its source text.
 */
export function decodeImageFile(file: string, libraries: DecodeLibraries): Rgba {
  const bytes = libraries.readFileSync(file);
  const image = file.toLowerCase().endsWith('.png') ? libraries.PNG.sync.read(bytes as Buffer) : libraries.jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
  return { width: image.width, height: image.height, data: new Uint8Array(image.data) };
}

export const MAIN_THREAD_LIBRARIES: DecodeLibraries = { readFileSync, jpeg, PNG: PNG as unknown as DecodeLibraries['PNG'] };

/** The error for a file that is not a readable PNG or JPEG. */
export const undecodableError = (file: string, reason: string) =>
  dataError(`${file} could not be decoded as PNG or JPEG: ${reason}`, 'remove the file or re-save it as PNG or JPEG');

/** decodeImageFile on this thread, failures as a data error naming the file. */
export function decodeOnThisThread(file: string): Rgba {
  try {
    return decodeImageFile(file, MAIN_THREAD_LIBRARIES);
  } catch (error) {
    throw undecodableError(file, (error as Error).message);
  }
}

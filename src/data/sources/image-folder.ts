import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { dataError } from '../../errors.js';
import { makeSamples, type RawDataset, type SourceOptions } from '../dataset.js';

interface Rgba {
  width: number;
  height: number;
  data: Uint8Array;
}

function decode(file: string): Rgba {
  const bytes = readFileSync(file);
  try {
    if (extname(file).toLowerCase() === '.png') return PNG.sync.read(bytes);
    return jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
  } catch (error) {
    throw dataError(`${file} could not be decoded: ${(error as Error).message}`, 'remove the file or re-save it as PNG or JPEG');
  }
}

/** Bilinear resize (align corners off, like tf.image.resizeBilinear) into HxWxC values in [0, 255]. */
function resizeInto(image: Rgba, height: number, width: number, channels: number, out: Float32Array, offset: number) {
  const scaleY = image.height / height;
  const scaleX = image.width / width;
  const pixel = (y: number, x: number, c: number) => image.data[(y * image.width + x) * 4 + c];
  for (let y = 0; y < height; y++) {
    const sy = Math.min(Math.max((y + 0.5) * scaleY - 0.5, 0), image.height - 1);
    const y0 = Math.floor(sy);
    const y1 = Math.min(y0 + 1, image.height - 1);
    const fy = sy - y0;
    for (let x = 0; x < width; x++) {
      const sx = Math.min(Math.max((x + 0.5) * scaleX - 0.5, 0), image.width - 1);
      const x0 = Math.floor(sx);
      const x1 = Math.min(x0 + 1, image.width - 1);
      const fx = sx - x0;
      const rgb = [0, 1, 2].map(
        (c) => (pixel(y0, x0, c) * (1 - fx) + pixel(y0, x1, c) * fx) * (1 - fy) + (pixel(y1, x0, c) * (1 - fx) + pixel(y1, x1, c) * fx) * fy,
      );
      const base = offset + (y * width + x) * channels;
      if (channels === 1) out[base] = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2];
      else for (let c = 0; c < channels; c++) out[base + c] = rgb[c % 3];
    }
  }
}

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);

/** One subfolder per class (sorted names become class indices), PNG/JPEG images resized to the model input. */
export function loadImageFolder(options: SourceOptions): RawDataset {
  const root = options.path;
  if (!root || !existsSync(root) || !statSync(root).isDirectory()) {
    throw dataError(`data.path: expected a folder with one subfolder per class, received ${JSON.stringify(root)}`, 'e.g. photos/cat/*.jpg, photos/dog/*.jpg');
  }
  const [height, width, channels] = options.modelInputShape;
  if (options.modelInputShape.length !== 3 || (channels !== 1 && channels !== 3)) {
    throw dataError(`image-folder needs a model input of shape [height, width, 1 or 3], the model takes [${options.modelInputShape}]`, 'use an image model, or another dataset kind');
  }
  const classNames = readdirSync(root).filter((name) => statSync(join(root, name)).isDirectory()).sort();
  const files: Array<{ file: string; label: number }> = [];
  classNames.forEach((name, label) => {
    for (const file of readdirSync(join(root, name)).sort()) {
      if (IMAGE_EXTENSIONS.has(extname(file).toLowerCase())) files.push({ file: join(root, name, file), label });
    }
  });
  if (classNames.length < 2 || files.length === 0) {
    throw dataError(`${root} holds ${classNames.length} class folders with ${files.length} images; expected at least 2 classes with PNG/JPEG images`, 'make one subfolder per class');
  }
  const size = height * width * channels;
  const x = new Float32Array(files.length * size);
  files.forEach(({ file }, i) => resizeInto(decode(file), height, width, channels, x, i * size));
  return {
    name: `image-folder:${root}`,
    train: makeSamples(x, Int32Array.from(files, (f) => f.label), [height, width, channels]),
    numClasses: classNames.length,
    classNames,
  };
}

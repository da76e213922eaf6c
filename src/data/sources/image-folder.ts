import { existsSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { dataError } from '../../errors.js';
import { sampleSize, type RawDataset, type Samples, type SourceOptions } from '../dataset.js';
import { decodeOnThisThread } from '../images/decode.js';
import { decodePool } from '../images/decode-pool.js';
import { writeModelInputs } from '../images/resize.js';

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);

/**
 * The class folders in class-index order: sorted by name, or, when the model names its output
 * units (a Teachable Machine metadata.json) and the folders are exactly those names, in the
 * model's order, so each output unit keeps its meaning.
 */
export function classFolderOrder(folders: string[], modelClassNames?: string[]): string[] {
  const sorted = [...folders].sort();
  if (!modelClassNames || modelClassNames.length !== folders.length) return sorted;
  const same = [...modelClassNames].sort().every((name, i) => name === sorted[i]);
  return same ? [...modelClassNames] : sorted;
}

/**
 * Image files as samples of the model's input shape, decoded when read: nothing but the file
 * list and labels stays in memory. `read` decodes on this thread; `readAhead` in the decode
 * workers, so a batch can be prepared while the previous one trains. Resizing runs on tfjs.
 */
export function imageFileSamples(files: string[], labels: Int32Array, shape: number[]): Samples {
  const size = sampleSize(shape);
  const filesAt = (indices: ArrayLike<number>) => Array.from(indices, (i) => files[i]);
  return {
    count: files.length,
    shape,
    labels,
    maxValue: 255,
    read(indices, out) {
      writeModelInputs(filesAt(indices).map(decodeOnThisThread), shape, out);
    },
    async readAhead(indices) {
      const images = await decodePool().decode(filesAt(indices));
      const out = new Float32Array(indices.length * size);
      writeModelInputs(images, shape, out);
      return out;
    },
  };
}

function listClassFolders(root: string): string[] {
  return readdirSync(root).filter((name) => statSync(join(root, name)).isDirectory());
}

/** One subfolder per class, PNG/JPEG images resized to the model input when they are read. */
export function loadImageFolder(options: SourceOptions): RawDataset {
  const root = options.path;
  if (!root || !existsSync(root) || !statSync(root).isDirectory()) {
    throw dataError(`data.path: expected a folder with one subfolder per class, received ${JSON.stringify(root)}`, 'e.g. photos/cat/*.jpg, photos/dog/*.jpg');
  }
  const [, , channels] = options.modelInputShape;
  if (options.modelInputShape.length !== 3 || (channels !== 1 && channels !== 3)) {
    throw dataError(`image-folder needs a model input of shape [height, width, 1 or 3], the model takes [${options.modelInputShape}]`, 'use an image model, or another dataset kind');
  }
  const classNames = classFolderOrder(listClassFolders(root), options.modelClassNames);
  const files: string[] = [];
  const labels: number[] = [];
  classNames.forEach((name, label) => {
    for (const file of readdirSync(join(root, name)).sort()) {
      if (!IMAGE_EXTENSIONS.has(extname(file).toLowerCase())) continue;
      files.push(join(root, name, file));
      labels.push(label);
    }
  });
  if (classNames.length < 2 || files.length === 0) {
    throw dataError(`${root} holds ${classNames.length} class folders with ${files.length} images; expected at least 2 classes with PNG/JPEG images`, 'make one subfolder per class');
  }
  return {
    name: `image-folder:${root}`,
    train: imageFileSamples(files, Int32Array.from(labels), [...options.modelInputShape]),
    numClasses: classNames.length,
    classNames,
  };
}

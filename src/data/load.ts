import type { DataConfig } from '../config/schema.js';
import { dataError } from '../errors.js';
import { sampleSize, selectSamples, type Dataset, type RawDataset, type Samples, type SourceOptions } from './dataset.js';
import type { AugmentOptions } from './augment.js';
import { applyNormalization, planNormalization } from './normalize.js';
import { loadCsv } from './sources/csv.js';
import { loadIdx } from './sources/idx.js';
import { loadImageFolder } from './sources/image-folder.js';
import { loadMnist } from './sources/mnist.js';
import { loadNpy } from './sources/npy.js';
import { loadSynthetic } from './sources/synthetic.js';
import { permutation } from './random.js';
import { splitValidation } from './split.js';

/** The data sources, keyed by `data.dataset`. */
export const DATA_SOURCES: Record<DataConfig['dataset'], (options: SourceOptions) => RawDataset> = {
  mnist: loadMnist,
  idx: loadIdx,
  npy: loadNpy,
  'image-folder': loadImageFolder,
  csv: loadCsv,
  synthetic: loadSynthetic,
};

/** What the model expects of the data. */
export interface ModelShape {
  inputShape: number[];
  numClasses: number;
  /** Names of the output units in order, when the model comes with them (a Teachable Machine metadata.json's labels). */
  classNames?: string[];
}

/**
 * A sample shape fits the model when it has the same number of values (e.g. [28, 28, 1] data
 * for a [28, 28] or [784] input); the samples are then viewed in the model's shape.
 */
function fitToModel(samples: Samples, model: ModelShape, source: string): Samples {
  if (sampleSize(samples.shape) !== sampleSize(model.inputShape)) {
    throw dataError(
      `${source}: samples of shape [${samples.shape}] (${sampleSize(samples.shape)} values) do not fit the model input [${model.inputShape}] (${sampleSize(model.inputShape)} values)`,
      'use data that matches the model, or a model built for this data (zoo models take ?inputShape=H,W,C)',
    );
  }
  return { ...samples, shape: [...model.inputShape] };
}

/** The fix for data whose class count differs from the model's outputs. */
const classesHint = (dataClasses: number, modelClasses: number) =>
  `set model.classes: ${dataClasses} (or auto) to train the model for the data's ${dataClasses} classes with a fresh classifier head, or use data with ${modelClasses} classes`;

function checkLabels(samples: Samples, numClasses: number, source: string) {
  for (const label of samples.labels) {
    if (!(label >= 0 && label < numClasses)) {
      const hint = label >= numClasses ? classesHint(label + 1, numClasses) : 'labels must be class indices counted from 0 (or class names in a csv)';
      throw dataError(`${source}: label ${label} is outside the model's ${numClasses} output classes (0..${numClasses - 1})`, hint);
    }
  }
}

/** Every class of the data is one output of the model: fewer outputs cannot learn them, more are never trained. */
function checkClassCount(raw: RawDataset, numClasses: number) {
  if (raw.numClasses === numClasses) return;
  throw dataError(`${raw.name} has ${raw.numClasses} classes but the model has ${numClasses} outputs; expected as many outputs as classes`, classesHint(raw.numClasses, numClasses));
}

/** data.augment shifts and mirrors images: it needs [height, width, channels] samples wider and taller than the crop. */
function checkAugment(augment: DataConfig['augment'], shape: number[]): AugmentOptions | undefined {
  if (!augment || (!augment.crop && !augment.flip)) return undefined;
  if (shape.length !== 3) {
    throw dataError(`data.augment: crops and flips need image samples [height, width, channels], the model input is [${shape}]`, 'remove data.augment for non-image data');
  }
  if (augment.crop >= Math.min(shape[0], shape[1])) {
    throw dataError(`data.augment.crop: expected fewer pixels than the image side (${Math.min(shape[0], shape[1])}), received ${augment.crop}`, 'use a small crop such as 4 (CIFAR-style) or 0');
  }
  return augment;
}

/** Reads the data as its source gives it (shaped for the model's input), before any check against the model. */
export function readDataset(config: DataConfig, seed: number, model: ModelShape): RawDataset {
  return DATA_SOURCES[config.dataset]({
    path: config.path,
    seed,
    modelInputShape: model.inputShape,
    modelClasses: model.numClasses,
    modelClassNames: model.classNames,
    labelColumn: config.labelColumn,
    samples: config.samples,
    classes: config.classes,
    shape: config.shape,
  });
}

/**
 * Loads, normalises, fits and splits the data for one model, deterministically for a seed.
 * `raw` is data already read for this model's input (readDataset), e.g. to learn its class count first.
 */
export function loadDataset(config: DataConfig, seed: number, model: ModelShape, raw = readDataset(config, seed, model)): Dataset {
  checkClassCount(raw, model.numClasses);
  let trainAll = fitToModel(raw.train, model, raw.name);
  checkLabels(trainAll, model.numClasses, raw.name);
  if (config.limit && config.limit < trainAll.count) trainAll = selectSamples(trainAll, permutation(trainAll.count, seed).subarray(0, config.limit));
  const plan = planNormalization(config.normalize, trainAll);
  const { train, validation } = splitValidation(applyNormalization(plan, trainAll), config.validationSplit, seed);
  const test = raw.test ? applyNormalization(plan, fitToModel(raw.test, model, raw.name)) : undefined;
  return {
    ...raw,
    train,
    validation,
    test,
    augment: checkAugment(config.augment, train.shape),
    summary: {
      source: raw.name,
      train: train.count,
      validation: validation.count,
      test: test?.count ?? 0,
      sampleShape: train.shape,
      numClasses: raw.numClasses,
    },
  };
}

import { makeSamples, sampleSize, type RawDataset, type SourceOptions } from '../dataset.js';
import { gaussian, seededRandom } from '../random.js';

/**
 * Learnable random data: each class has a fixed random prototype, and a sample is its class's
 * prototype plus noise. Defaults: 1024 samples shaped like the model input, as many classes as
 * the model has outputs.
 */
export function loadSynthetic(options: SourceOptions): RawDataset {
  const shape = options.shape ?? options.modelInputShape;
  const numClasses = options.classes ?? options.modelClasses;
  const count = options.samples ?? 1024;
  const size = sampleSize(shape);
  const random = seededRandom(options.seed);
  const prototypes = Array.from({ length: numClasses }, () => Float32Array.from({ length: size }, () => gaussian(random)));
  const x = new Float32Array(count * size);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const label = i % numClasses;
    labels[i] = label;
    for (let j = 0; j < size; j++) x[i * size + j] = prototypes[label][j] + 0.5 * gaussian(random);
  }
  return { name: 'synthetic', train: makeSamples(x, labels, shape), numClasses };
}

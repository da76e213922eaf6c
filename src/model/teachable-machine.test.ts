import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyModelMetadata, readTeachableMachineMetadata, seedClassNames, trainedMetadata, writeTrainedMetadata } from './teachable-machine.js';

const SEED = { tmVersion: '2.4.10', imageSize: 224, labels: ['Miami', 'Portland', 'Houston'] };
const tempDir = () => mkdtempSync(join(tmpdir(), 'morphnet-tm-'));

function seedDir(metadata: unknown = SEED): string {
  const dir = tempDir();
  writeFileSync(join(dir, 'model.json'), '{}');
  writeFileSync(join(dir, 'metadata.json'), JSON.stringify(metadata));
  return dir;
}

describe('Teachable Machine metadata', () => {
  it('reads the labels beside a model file; none without a metadata.json or without labels', () => {
    expect(seedClassNames({ path: join(seedDir(), 'model.json') })).toEqual(['Miami', 'Portland', 'Houston']);
    expect(seedClassNames({ path: join(tempDir(), 'model.json') })).toBeUndefined();
    expect(seedClassNames({})).toBeUndefined();
    expect(readTeachableMachineMetadata(join(seedDir({ name: 'not tm' }), 'model.json'))).toBeUndefined();
  });

  it('a broken metadata.json is a model error naming the file', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'metadata.json'), '{"labels": [');
    expect(() => readTeachableMachineMetadata(join(dir, 'model.json'))).toThrow(`${join(dir, 'metadata.json')} is not valid JSON`);
  });

  it('labels follow the trained output units: the data\'s class names, else the seed\'s, else numbered', () => {
    // The folders matched the seed's labels: the data's order is the seed's, unchanged.
    expect(trainedMetadata(SEED, ['Miami', 'Portland', 'Houston'], 3)).toEqual(SEED);
    // New classes (model.classes: auto): the folder names in trained (sorted) order; other fields kept.
    expect(trainedMetadata(SEED, ['cat', 'dog'], 2)).toEqual({ tmVersion: '2.4.10', imageSize: 224, labels: ['cat', 'dog'] });
    expect(trainedMetadata(SEED, undefined, 3).labels).toEqual(SEED.labels);
    expect(trainedMetadata(SEED, undefined, 2).labels).toEqual(['class 0', 'class 1']);
  });

  it('writes metadata.json beside a trained model only for a seed that has one, and copies it to an export', () => {
    const seed = join(seedDir(), 'model.json');
    const trained = tempDir();
    expect(writeTrainedMetadata(trained, seed, ['ants', 'bees'], 2)).toEqual(['ants', 'bees']);
    expect(JSON.parse(readFileSync(join(trained, 'metadata.json'), 'utf8'))).toEqual({ ...SEED, labels: ['ants', 'bees'] });
    const exported = tempDir();
    copyModelMetadata(trained, exported);
    expect(JSON.parse(readFileSync(join(exported, 'metadata.json'), 'utf8')).labels).toEqual(['ants', 'bees']);
    expect(writeTrainedMetadata(tempDir(), join(tempDir(), 'model.json'), ['ants', 'bees'], 2)).toBeUndefined();
  });
});

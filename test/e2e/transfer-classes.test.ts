import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { SHARED_MODELS, hasStackTrace, runCli, tempDir } from './cli.js';

const TEACHABLE_MACHINE = join(SHARED_MODELS, 'teachable-machine-mobilenetv2/model.json');

/** Loads a saved model.json + weights with nothing but stock tfjs. */
async function loadWithStockTfjs(dir: string): Promise<tf.LayersModel> {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  const weights = readFileSync(join(dir, json.weightsManifest[0].paths[0]));
  return tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: new Uint8Array(weights).buffer }),
  );
}

/** `numClasses` class folders of two 224x224 RGB PNGs each, the Teachable Machine input size. */
function writeImageFolder(root: string, numClasses: number): void {
  for (let c = 0; c < numClasses; c++) {
    const dir = join(root, `class${c}`);
    mkdirSync(dir, { recursive: true });
    for (let k = 0; k < 2; k++) {
      const png = new PNG({ width: 224, height: 224 });
      for (let i = 0; i < png.data.length; i += 4) png.data.set([(c * 80 + k * 10) % 256, (i / 4) % 224, (c * 40) % 256, 255], i);
      writeFileSync(join(dir, `${k}.png`), PNG.sync.write(png));
    }
  }
}

function writeConfig(dir: string, modelLine: string): string {
  const file = join(dir, 'exp.yaml');
  writeFileSync(
    file,
    `
model: ${modelLine}
data: {dataset: image-folder, path: ${join(dir, 'images')}, batchSize: 4, validationSplit: 0.34}
backend: wasm
shrink: {steps: 2}
expand: {targetFlops: 60M}
retrain: {steps: 2}
`,
  );
  return file;
}

/** The units of the layer `name` in a saved model.json, at any depth of nested models. */
function unitsIn(modelJson: string, name: string): number | undefined {
  const find = (layers: Array<{ class_name: string; config: { name: string; units?: number; layers?: unknown[] } }>): number | undefined => {
    for (const layer of layers) {
      if (layer.config.name === name) return layer.config.units;
      const inner = layer.config.layers ? find(layer.config.layers as typeof layers) : undefined;
      if (inner !== undefined) return inner;
    }
    return undefined;
  };
  return find(JSON.parse(readFileSync(modelJson, 'utf8')).modelTopology.config.layers);
}

describe('training the 30-class Teachable Machine model on 3 classes of your own (model.classes)', () => {
  it('without model.classes: exit 2, naming both counts and the key, before any run dir exists', () => {
    const dir = tempDir();
    writeImageFolder(join(dir, 'images'), 3);
    const result = runCli(['run', writeConfig(dir, `{path: ${TEACHABLE_MACHINE}}`), '-r', join(dir, 'run')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`error: image-folder:${join(dir, 'images')} has 3 classes but the model has 30 outputs`);
    expect(result.stderr).toContain('hint: set model.classes: 3 (or auto)');
    expect(hasStackTrace(result.stderr)).toBe(false);
    expect(existsSync(join(dir, 'run'))).toBe(false);
  });

  it('cost -m MODEL?classes=3 counts the model as it will be trained: a 100 x 3 head instead of 100 x 30', () => {
    const original = runCli(['cost', '-m', TEACHABLE_MACHINE, '--format', 'json']);
    const reheaded = runCli(['cost', '-m', `${TEACHABLE_MACHINE}?classes=3`, '--format', 'json']);
    expect(reheaded.code).toBe(0);
    const head = (stdout: string) => JSON.parse(stdout).layers.find((l: { name: string }) => l.name === 'dense_Dense18');
    // dense_Dense18 has no bias: 100 inputs x 3 classes.
    expect(head(reheaded.stdout)).toMatchObject({ outputShape: [null, 3], params: 100 * 3, macs: 100 * 3 });
    expect(JSON.parse(reheaded.stdout).totals.params).toBe(JSON.parse(original.stdout).totals.params - 100 * (30 - 3));
  });

  it('classes: auto re-heads for the data\'s 3 classes; the seed and the retrained model predict [n, 3] in stock tfjs', async () => {
    const dir = tempDir();
    writeImageFolder(join(dir, 'images'), 3);
    const runDir = join(dir, 'run');
    const result = runCli(['run', writeConfig(dir, `{path: ${TEACHABLE_MACHINE}, classes: auto}`), '-r', runDir]);
    expect(result.stderr).not.toMatch(/^error:/m);
    expect(result.code).toBe(0);

    // The seed saved in the run dir (what expand and the report read) carries the new head.
    expect(unitsIn(join(runDir, 'seed/model.json'), 'dense_Dense18')).toBe(3);
    expect(unitsIn(join(runDir, 'seed/model.json'), 'dense_Dense17')).toBe(100);
    const model = await loadWithStockTfjs(join(runDir, 'retrain/model'));
    const shape = tf.tidy(() => (model.predict(tf.ones([2, 224, 224, 3])) as tf.Tensor).shape);
    expect(shape).toEqual([2, 3]);

    // A tfjs export of the pruned model names its 3 output units after the class folders, with the seed's other fields.
    const pruned = join(dir, 'pruned-tfjs');
    const exported = runCli(['export', '-r', runDir, '--from', 'pruned', '--format', 'tfjs', '-o', pruned]);
    expect(exported.code, exported.stderr).toBe(0);
    const seedMetadata = JSON.parse(readFileSync(join(TEACHABLE_MACHINE, '../metadata.json'), 'utf8'));
    expect(JSON.parse(readFileSync(join(pruned, 'metadata.json'), 'utf8'))).toEqual({ ...seedMetadata, labels: ['class0', 'class1', 'class2'] });
  }, 300_000);
});

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { SHARED_MODELS, runCli, tempDir } from './cli.js';

/** Loads a saved model.json + weights with nothing but stock tfjs. */
async function loadWithStockTfjs(dir: string): Promise<tf.LayersModel> {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  const weights = readFileSync(join(dir, json.weightsManifest[0].paths[0]));
  return tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: new Uint8Array(weights).buffer }),
  );
}

function predictShape(model: tf.LayersModel, batch: number): number[] {
  return tf.tidy(() => (model.predict(tf.ones([batch, ...(model.inputs[0].shape.slice(1) as number[])])) as tf.Tensor).shape);
}

/** The layer named `name` at any depth of nested models. */
function findLayer(model: tf.LayersModel, name: string): tf.layers.Layer {
  for (const layer of model.layers) {
    if (layer.name === name) return layer;
    if ('layers' in layer) {
      try {
        return findLayer(layer as tf.LayersModel, name);
      } catch {
        // not in this nested model
      }
    }
  }
  throw new Error(`no layer ${name}`);
}

/** One tiny PNG per class (the image folder resizes it to the model input). */
function writeImageFolder(root: string, numClasses: number): void {
  for (let c = 0; c < numClasses; c++) {
    const dir = join(root, `class${String(c).padStart(2, '0')}`);
    mkdirSync(dir, { recursive: true });
    const png = new PNG({ width: 8, height: 8 });
    for (let i = 0; i < png.data.length; i += 4) png.data.set([(c * 37 + i) % 256, (c * 91 + 3 * i) % 256, (c * 13) % 256, 255], i);
    writeFileSync(join(dir, '0.png'), PNG.sync.write(png));
  }
}

const expandedWidth = (runDir: string, layer: string): number => JSON.parse(readFileSync(join(runDir, 'expand/structure.json'), 'utf8')).widths[layer];

describe('morphnet run on nested models (Sequential > Sequential > Functional, Keras transfer learning)', () => {
  it('the Teachable Machine MobileNetV2: expand narrows Conv_1 in the nested base, and the retrained model loads and predicts 30 classes', async () => {
    const dir = tempDir();
    // 30 classes, one image each, as many as the model's outputs.
    writeImageFolder(join(dir, 'images'), 30);
    writeFileSync(
      join(dir, 'exp.yaml'),
      `
model: {path: ${join(SHARED_MODELS, 'teachable-machine-mobilenetv2/model.json')}}
data: {dataset: image-folder, path: ${join(dir, 'images')}, batchSize: 8, validationSplit: 0.25}
backend: wasm
shrink: {steps: 2}
expand: {targetFlops: 60M}
retrain: {steps: 2, measureLatency: false}  # inference timing is tested in retrain.test.ts
`,
    );
    const runDir = join(dir, 'run');
    const result = runCli(['run', join(dir, 'exp.yaml'), '-r', runDir]);
    expect(result.stderr).not.toMatch(/^error:/m);
    expect(result.code).toBe(0);

    // The seed costs 116.3M FLOPs; 60M needs a multiplier below 1, which narrows Conv_1 (1280 in the seed).
    const conv1Width = expandedWidth(runDir, 'Conv_1');
    expect(conv1Width).toBeLessThan(1280);
    const model = await loadWithStockTfjs(join(runDir, 'retrain/model'));
    // The head (a nested Sequential) takes the global pooling of the narrowed Conv_1.
    expect(findLayer(model, 'dense_Dense17').getWeights()[0].shape[0]).toBe(conv1Width);
    expect(predictShape(model, 2)).toEqual([2, 30]);
  });

  it('a Keras-style transfer model (Functional base inside a Sequential, new Dense head), as model.json, .keras and .h5: the narrowed base reaches the head', async () => {
    const dir = tempDir();
    const { saveModel } = await import('../../src/model/load.js');
    /**
     *   transfer: Sequential
     *     base: Functional   base_input[16,16,3] -> base_conv1: Conv2D 8 3x3 same -> base_bn1 -> base_relu1
     *                                            -> base_last: Conv2D 32 1x1 -> base_bn2 -> base_relu2
     *     gap: GlobalAveragePooling2D
     *     head: Sequential   head_hidden: Dense 8 (input [32]) -> head_out: Dense 3
     *
     * MACs: base_conv1 16*16*9*3*8 = 55,296; base_last 16*16*8*32 = 65,536; head 32*8 + 8*3 = 280:
     * 121,112 MACs, 242,224 FLOPs. A target of 120k FLOPs needs about half of them.
     */
    const x = tf.input({ shape: [16, 16, 3], name: 'base_input' });
    let h = tf.layers.conv2d({ name: 'base_conv1', filters: 8, kernelSize: 3, padding: 'same' }).apply(x) as tf.SymbolicTensor;
    h = tf.layers.batchNormalization({ name: 'base_bn1' }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.reLU({ name: 'base_relu1' }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.conv2d({ name: 'base_last', filters: 32, kernelSize: 1 }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.batchNormalization({ name: 'base_bn2' }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.reLU({ name: 'base_relu2' }).apply(h) as tf.SymbolicTensor;
    const base = tf.model({ name: 'base', inputs: x, outputs: h });
    const head = tf.sequential({
      name: 'head',
      layers: [tf.layers.dense({ name: 'head_hidden', units: 8, inputShape: [32], activation: 'relu' }), tf.layers.dense({ name: 'head_out', units: 3, activation: 'softmax' })],
    });
    const transfer = tf.sequential({ name: 'transfer', layers: [base, tf.layers.globalAveragePooling2d({ name: 'gap' }), head] });
    await saveModel(transfer, join(dir, 'seed'));

    const cost = runCli(['cost', '-m', join(dir, 'seed/model.json'), '--format', 'json']);
    expect(cost.code).toBe(0);
    expect(JSON.parse(cost.stdout).totals.flops).toBe(2 * (16 * 16 * 9 * 3 * 8 + 16 * 16 * 8 * 32 + 32 * 8 + 8 * 3));

    // The same model as a Keras user hands it over: a Keras 3 .keras archive and a Keras 2 .h5 file.
    const { writeKerasArchive, writeKerasH5 } = await import('../../src/model/keras/write.js');
    await writeKerasArchive(transfer, join(dir, 'seed.keras'));
    await writeKerasH5(transfer, join(dir, 'seed.h5'));
    for (const seedPath of [join(dir, 'seed/model.json'), join(dir, 'seed.keras'), join(dir, 'seed.h5')]) {
      const name = seedPath.split('/').pop()!;
      writeFileSync(
        join(dir, `${name}.yaml`),
        `
model: {path: ${seedPath}}
data: {dataset: synthetic, samples: 32, classes: 3, batchSize: 8, validationSplit: 0.25}
backend: wasm
shrink: {steps: 2}
expand: {targetFlops: 120k}
retrain: {steps: 2, measureLatency: false}  # inference timing is tested in retrain.test.ts
`,
      );
      const runDir = join(dir, `run-${name}`);
      const result = runCli(['run', join(dir, `${name}.yaml`), '-r', runDir]);
      expect(result.stderr, seedPath).not.toMatch(/^error:/m);
      expect(result.code).toBe(0);

      const lastWidth = expandedWidth(runDir, 'base_last');
      expect(lastWidth).toBeLessThan(32);
      const model = await loadWithStockTfjs(join(runDir, 'retrain/model'));
      expect(findLayer(model, 'head_hidden').getWeights()[0].shape).toEqual([lastWidth, expandedWidth(runDir, 'head_hidden')]);
      expect(predictShape(model, 2)).toEqual([2, 3]);
    }
  });
});

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { ROOT, SHARED_MODELS, runCli, tempDir } from './cli.js';

const EXPORT = join(SHARED_MODELS, 'teachable-machine-mobilenetv2');
const SEED_METADATA = JSON.parse(readFileSync(join(EXPORT, 'metadata.json'), 'utf8')) as { labels: string[]; imageSize: number; tmVersion: string };

/** One small PNG per label, in a folder named as the label (the image folder resizes it to 224x224). */
function writePictures(root: string, labels: string[]): void {
  labels.forEach((label, c) => {
    mkdirSync(join(root, label), { recursive: true });
    const png = new PNG({ width: 16, height: 16 });
    for (let i = 0; i < png.data.length; i += 4) png.data.set([(c * 37 + i) % 256, (c * 91) % 256, (i * 5) % 256, 255], i);
    writeFileSync(join(root, label, 'picture.png'), PNG.sync.write(png));
  });
}

/** A separate Node process with nothing but @tensorflow/tfjs and its wasm backend: loads the web page's files, predicts one picture, names its label. */
const STOCK_PAGE = (dir: string) => `
  const tf = require('@tensorflow/tfjs');
  require('@tensorflow/tfjs-backend-wasm');
  const fs = require('fs');
  (async () => {
    await tf.setBackend('wasm');
    const dir = ${JSON.stringify(dir)};
    const json = JSON.parse(fs.readFileSync(dir + '/model.json', 'utf8'));
    const weights = fs.readFileSync(dir + '/' + json.weightsManifest[0].paths[0]);
    const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: new Uint8Array(weights).buffer }));
    const { labels } = JSON.parse(fs.readFileSync(dir + '/metadata.json', 'utf8'));
    const scores = model.predict(tf.zeros([1, 224, 224, 3])).dataSync();
    const best = scores.indexOf(Math.max(...scores));
    process.stdout.write(JSON.stringify({ units: scores.length, labels, predicted: labels[best], weightBytes: weights.length }));
  })();`;

describe('the Teachable Machine flow: export + pictures -> morphnet run -> a smaller model the web page loads with its labels', () => {
  it('keeps the export\'s label order (folders named as the labels), writes metadata.json beside the model and its tfjs export', () => {
    const dir = tempDir();
    writePictures(join(dir, 'photos'), SEED_METADATA.labels);
    const config = join(dir, 'tm.yaml');
    // The example config's keys, made tiny: 16 of the 30 pictures (12 to train, 4 to validate), 2 steps per stage.
    writeFileSync(
      config,
      `
model: {path: ${join(EXPORT, 'model.json')}}
data: {dataset: image-folder, path: ${join(dir, 'photos')}, normalize: teachable-machine, augment: {crop: 16, flip: true}, limit: 16, validationSplit: 0.25, batchSize: 4}
backend: wasm
shrink: {steps: 2, optimizer: {name: momentum, learningRate: 0.005, momentum: 0.9}}
expand: {targetFlops: 58M}
retrain: {steps: 2, init: pruned, optimizer: {name: momentum, learningRate: 0.005, momentum: 0.9}}
evaluation: {batchNormSamples: 12}
`,
    );
    const runDir = join(dir, 'run');
    const run = runCli(['run', config, '-r', runDir]);
    expect(run.stderr).not.toMatch(/^error:/m);
    expect(run.code).toBe(0);

    // Folder names sort as 76ers, Celtics, Chicago, ...; the labels stay in the export's order (Miami first),
    // with the export's other fields carried along.
    const modelDir = join(runDir, 'retrain/model');
    const metadata = JSON.parse(readFileSync(join(modelDir, 'metadata.json'), 'utf8'));
    expect(metadata).toEqual(SEED_METADATA);
    expect([...SEED_METADATA.labels].sort()).not.toEqual(SEED_METADATA.labels);

    const exported = join(dir, 'web');
    const exportRun = runCli(['export', '-r', runDir, '--format', 'tfjs', '-o', exported]);
    expect(exportRun.code, exportRun.stderr).toBe(0);
    const page = JSON.parse(execFileSync(process.execPath, ['-e', STOCK_PAGE(exported)], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    expect(page.units).toBe(30);
    expect(page.labels).toEqual(SEED_METADATA.labels);
    expect(SEED_METADATA.labels).toContain(page.predicted);
    // Half the FLOPs: fewer weights than the export's 2,165,232 bytes.
    expect(page.weightBytes).toBeLessThan(statSync(join(EXPORT, 'weights.bin')).size);

    // The pruned shrink result carries the labels too: 30 output units, the export's 30 labels in its order.
    const pruned = join(dir, 'web-pruned');
    const prunedRun = runCli(['export', '-r', runDir, '--from', 'pruned', '--format', 'tfjs', '-o', pruned]);
    expect(prunedRun.code, prunedRun.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(pruned, 'metadata.json'), 'utf8'))).toEqual(SEED_METADATA);
    // 39 s on the 2 shared cores at a load average of 16; about 110 s at 20 with a training bench beside it.
  }, 300_000);
});

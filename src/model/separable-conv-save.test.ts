import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerFileRouters } from './file-io.js';
import { saveModel } from './load.js';

beforeAll(async () => {
  // No initBackend: saveModel alone must write depthMultiplier.
  await tf.setBackend('cpu');
  registerFileRouters();
});

/**
 * input [4, 4, 2] -> SeparableConv2D (3x3, depthMultiplier 2, 3 filters, same) -> [4, 4, 3]
 * depthwise kernel [3, 3, 2, 2] (2 inputs x 2), pointwise kernel [1, 1, 2 * 2 = 4, 3], bias [3].
 */
function separableModel(): tf.LayersModel {
  const input = tf.input({ shape: [4, 4, 2] });
  const output = tf.layers.separableConv2d({
    name: 'separable', filters: 3, kernelSize: 3, depthMultiplier: 2, padding: 'same',
    depthwiseInitializer: tf.initializers.glorotUniform({ seed: 1 }), pointwiseInitializer: tf.initializers.glorotUniform({ seed: 2 }),
    biasInitializer: tf.initializers.constant({ value: 0.5 }),
  }).apply(input) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output });
}

const predict = (model: tf.LayersModel, x: tf.Tensor) => Array.from((model.predict(x) as tf.Tensor).dataSync());

describe('SeparableConv2D with depthMultiplier 2 through saveModel', () => {
  it('writes depthMultiplier, and stock tf.loadLayersModel rebuilds the same model', async () => {
    const model = separableModel();
    const dir = mkdtempSync(join(tmpdir(), 'morphnet-separable-'));
    try {
      await saveModel(model, dir);
      const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
      const layer = json.modelTopology.config.layers.find((l: { name: string }) => l.name === 'separable');
      expect(layer.config.depth_multiplier).toBe(2); // model.json keys are Keras's snake_case

      const reloaded = await tf.loadLayersModel('file://' + join(dir, 'model.json'));
      expect(reloaded.getLayer('separable').getWeights().map((w) => w.shape)).toEqual([[3, 3, 2, 2], [1, 1, 4, 3], [3]]);
      const x = tf.tensor4d(Array.from({ length: 4 * 4 * 2 }, (_, i) => Math.sin(i)), [1, 4, 4, 2]);
      expect(predict(reloaded, x)).toEqual(predict(model, x));
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});

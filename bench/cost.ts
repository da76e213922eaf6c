import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend/select.js';
import { countModel } from '../src/cost/count-model.js';

/** A deep plain network: `blocks` x (conv 3x3 -> BN -> ReLU), then pooling and a classifier. */
function deepModel(blocks: number): tf.LayersModel {
  const x = tf.input({ shape: [32, 32, 3] });
  let h = x;
  for (let i = 0; i < blocks; i++) {
    h = tf.layers.conv2d({ filters: 32, kernelSize: 3, padding: 'same', useBias: false }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.batchNormalization({}).apply(h) as tf.SymbolicTensor;
    h = tf.layers.reLU({}).apply(h) as tf.SymbolicTensor;
  }
  h = tf.layers.globalAveragePooling2d({}).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: x, outputs: tf.layers.dense({ units: 10 }).apply(h) as tf.SymbolicTensor });
}

/** Time to count a 300+ layer model, against building that model in the same process. */
export async function benchCost(repeats: number) {
  await initBackend('cpu');
  let buildMs = 0;
  let countMs = 0;
  let numLayers = 0;
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    const model = deepModel(100);
    buildMs += performance.now() - start;
    const countStart = performance.now();
    const report = countModel(model);
    countMs += performance.now() - countStart;
    numLayers = report.layers.length;
    model.weights.forEach((w) => w.dispose());
  }
  return { layers: numLayers, repeats, buildMs: buildMs / repeats, countMs: countMs / repeats, ratio: countMs / buildMs };
}

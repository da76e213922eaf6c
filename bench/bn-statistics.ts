import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend/select.js';
import { loadDataset } from '../src/data/load.js';
import type { Samples } from '../src/data/dataset.js';
import { makeBatch, sequentialBatches } from '../src/train/batches.js';
import { estimateBatchNormStatistics } from '../src/train/batch-norm-statistics.js';
import { evaluate } from '../src/train/evaluate.js';
import { runLoop, totalSteps } from '../src/train/loop.js';
import { createOptimizer, setLearningRate } from '../src/train/optimizer.js';
import { learningRateAt } from '../src/train/schedule.js';

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

export interface BatchNormBenchOptions {
  epochs: number;
  trainLimit?: number;
  bnMomentum: number;
  seed: number;
  learningRate: number;
  batchSize: number;
}

/**
 * A 4-conv BN network as a Keras user builds it (tfjs defaults: BN momentum 0.99, epsilon 1e-3):
 * conv 32 -> conv 64/2 -> conv 64 -> conv 128/2, each BN + ReLU, global average pooling, dense 10.
 */
export function keraslikeCnn(bnMomentum: number, seed: number): tf.LayersModel {
  const input = tf.input({ shape: [28, 28, 1] });
  let h: tf.SymbolicTensor = input;
  [32, 64, 64, 128].forEach((filters, i) => {
    const conv = tf.layers.conv2d({ filters, kernelSize: 3, strides: i % 2 === 1 ? 2 : 1, padding: 'same', useBias: false, kernelInitializer: tf.initializers.heNormal({ seed: seed * 100 + i }) });
    h = conv.apply(h) as tf.SymbolicTensor;
    h = tf.layers.batchNormalization({ momentum: bnMomentum }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.reLU().apply(h) as tf.SymbolicTensor;
  });
  h = tf.layers.globalAveragePooling2d({}).apply(h) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: seed * 100 + 9 }) }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

type MovingVariables = Array<{ mean: tf.LayerVariable; variance: tf.LayerVariable }>;

function movingVariables(model: tf.LayersModel): MovingVariables {
  return model.layers
    .filter((l) => l.getClassName() === 'BatchNormalization')
    .map((l) => {
      const bn = l as unknown as { movingMean: tf.LayerVariable; movingVariance: tf.LayerVariable };
      return { mean: bn.movingMean, variance: bn.movingVariance };
    });
}

const snapshot = (vars: MovingVariables) => vars.map((v) => ({ mean: v.mean.read().clone(), variance: v.variance.read().clone() }));
function restore(vars: MovingVariables, saved: ReturnType<typeof snapshot>) {
  vars.forEach((v, i) => {
    v.mean.write(saved[i].mean);
    v.variance.write(saved[i].variance);
  });
}

/** tfjs's own re-estimation: forward passes in training mode, each moving the averages by the layer's momentum. */
function emaReestimation(model: tf.LayersModel, samples: Samples, batches: number, batchSize: number) {
  for (let b = 0; b < batches; b++) {
    const start = (b * batchSize) % Math.max(1, samples.count - batchSize);
    const { x, labels } = makeBatch(samples, start, batchSize);
    tf.tidy(() => void model.apply(x, { training: true }));
    tf.dispose([x, labels]);
  }
}

/** Accuracy when every test batch is normalized with its own statistics (training-mode BN, no update kept). */
function testBatchStatisticsAccuracy(model: tf.LayersModel, samples: Samples, vars: MovingVariables): number {
  const saved = snapshot(vars);
  let correct = 0;
  for (const { x, labels } of sequentialBatches(samples, 256)) {
    correct += tf.tidy(() => tf.equal(tf.argMax(model.apply(x, { training: true }) as tf.Tensor, -1), labels).sum().dataSync()[0]);
    tf.dispose([x, labels]);
  }
  restore(vars, saved);
  saved.forEach((s) => tf.dispose([s.mean, s.variance]));
  return correct / samples.count;
}

/** Largest |moving mean - exact mean| over channels, in exact standard deviations, per BN layer. */
function meanLag(vars: MovingVariables, asTrained: ReturnType<typeof snapshot>): number[] {
  return vars.map((v, i) => {
    const exactMean = v.mean.read().dataSync();
    const exactStd = v.variance.read().dataSync().map(Math.sqrt);
    const trainedMean = asTrained[i].mean.dataSync();
    let worst = 0;
    for (let c = 0; c < exactMean.length; c++) worst = Math.max(worst, Math.abs(trainedMean[c] - exactMean[c]) / exactStd[c]);
    return worst;
  });
}

/**
 * Trains the network on Fashion-MNIST with a cosine schedule (the retrain recipe), then scores the
 * test split in inference mode under five sets of BN statistics: the moving averages as training
 * left them; those after 30 training-mode batches (morphnet before this change); after a
 * 600-batch tfjs re-estimation; the exact population statistics of 4096 training samples
 * (morphnet now); and each test batch's own statistics.
 */
export async function benchBatchNormStatistics(options: BatchNormBenchOptions) {
  await initBackend('wasm');
  const dataset = loadDataset(
    { dataset: 'idx', path: FASHION_MNIST_DIR, validationSplit: 0, batchSize: options.batchSize, normalize: 'auto', limit: options.trainLimit },
    options.seed,
    { inputShape: [28, 28, 1], numClasses: 10 },
  );
  const model = keraslikeCnn(options.bnMomentum, options.seed);
  const optimizer = createOptimizer({ name: 'momentum', learningRate: options.learningRate, momentum: 0.9 });
  const steps = totalSteps(dataset.train.count, options.batchSize, options.epochs);
  const started = performance.now();
  await runLoop({
    model,
    optimizer,
    dataset,
    batchSize: options.batchSize,
    seed: options.seed,
    totalSteps: steps,
    numClasses: 10,
    outputKind: 'probabilities',
    beforeStep: (p) => setLearningRate(optimizer, learningRateAt('cosine', options.learningRate, p.step, steps, 0)),
  });
  const trainSeconds = (performance.now() - started) / 1000;
  const test = dataset.test!;
  const vars = movingVariables(model);
  const asTrained = snapshot(vars);
  const accuracy = () => evaluate(model, test, 256, 10, 'probabilities').accuracy;
  const result: Record<string, number> = { asTrained: accuracy() };
  emaReestimation(model, dataset.train, 30, options.batchSize);
  result.ema30 = accuracy();
  restore(vars, asTrained);
  emaReestimation(model, dataset.train, 600, options.batchSize);
  result.ema600 = accuracy();
  restore(vars, asTrained);
  const exactStarted = performance.now();
  estimateBatchNormStatistics(model, dataset.train, { numSamples: 4096, seed: options.seed });
  const exactSeconds = (performance.now() - exactStarted) / 1000;
  result.exact = accuracy();
  const lag = meanLag(vars, asTrained);
  result.testBatchStatistics = testBatchStatisticsAccuracy(model, test, vars);
  asTrained.forEach((s) => tf.dispose([s.mean, s.variance]));
  return { options, steps, trainSeconds, exactSeconds, accuracy: result, meanLagInStd: lag };
}

import * as tf from '@tensorflow/tfjs';
import { routeTrainingCall, wasmActive } from './layer-training-call.js';
import { BATCH_NORM_TRAINING, BATCH_NORM_TRAINING_GRAD } from './wasm-kernels/simd-batch-norm.js';

/** The fields of tfjs-layers' BatchNormalization that training and evaluation read and write. */
export interface BatchNormalizationLayer {
  axis: number;
  epsilon: number;
  momentum: number;
  gamma: tf.LayerVariable | null;
  beta: tf.LayerVariable | null;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
}

/**
 * BatchNormalization over every axis but the last, with the textbook backward pass in one
 * gradient function: with x^ = (x - mean) / sqrt(var + eps) and M the reduced count,
 *   dbeta = sum(dy), dgamma = sum(dy * x^), dx = gamma / sqrt(var + eps) * (dy - dbeta / M - x^ * dgamma / M).
 * tfjs differentiates moments() and the FusedBatchNorm kernel separately, which takes about
 * twice as many passes over the activations (and a Tile). `onMoments` receives the batch mean
 * and (biased) variance for the moving averages.
 */
function normalizeInTraining(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number, onMoments: (mean: tf.Tensor, variance: tf.Tensor) => void): tf.Tensor {
  const wasmPasses = tf.getBackend() === 'wasm' && tf.getKernel(BATCH_NORM_TRAINING, 'wasm') != null;
  const normalize = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xs, g, b] = args.slice(0, 3) as tf.Tensor[];
    const save = args[3] as tf.GradSaveFunc;
    const { value, mean, variance } = (wasmPasses ? wasmForward : opsForward)(xs, g, b, epsilon);
    onMoments(mean, variance);
    save([xs, g, mean, variance]);
    return {
      value,
      gradFunc: (dy, saved) => {
        const [savedX, savedGamma, savedMean, savedVariance] = saved;
        return (wasmPasses ? wasmBackward : opsBackward)(dy as tf.Tensor, savedX, savedMean, savedVariance, savedGamma, epsilon);
      },
    };
  });
  return normalize(x, gamma, beta);
}

type Forward = (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number) => { value: tf.Tensor; mean: tf.Tensor; variance: tf.Tensor };
type Backward = (dy: tf.Tensor, x: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, gamma: tf.Tensor, epsilon: number) => tf.Tensor[];

const axesButLast = (x: tf.Tensor) => x.shape.slice(0, -1).map((_, i) => i);

const opsForward: Forward = (x, gamma, beta, epsilon) => {
  const axes = axesButLast(x);
  const mean = tf.mean(x, axes);
  const variance = tf.mean(tf.squaredDifference(x, mean), axes);
  return { value: tf.batchNorm(x, mean, variance, beta, gamma, epsilon), mean, variance };
};

const opsBackward: Backward = (dy, x, mean, variance, gamma, epsilon) => {
  const axes = axesButLast(x);
  const count = x.size / x.shape[x.rank - 1];
  const inverseStd = tf.rsqrt(tf.add(variance, epsilon));
  const normalized = tf.mul(tf.sub(x, mean), inverseStd);
  const dOffset = tf.sum(dy, axes);
  const dScale = tf.sum(tf.mul(dy, normalized), axes);
  const dInput = tf.mul(tf.sub(tf.sub(dy, tf.div(dOffset, count)), tf.mul(normalized, tf.div(dScale, count))), tf.mul(gamma, inverseStd));
  return [dInput, dScale, dOffset];
};

/** The same maths in the wasm backend's SIMD passes (wasm-kernels/simd-batch-norm.ts). */
const wasmForward: Forward = (x, gamma, beta, epsilon) => {
  const [value, mean, variance] = tf.engine().runKernel(BATCH_NORM_TRAINING, { x, gamma, beta }, { epsilon }) as unknown as tf.Tensor[];
  return { value, mean, variance };
};

const wasmBackward: Backward = (dy, x, mean, variance, gamma, epsilon) =>
  tf.engine().runKernel(BATCH_NORM_TRAINING_GRAD, { dy, x, mean, variance, gamma }, { epsilon }) as unknown as tf.Tensor[];

/**
 * Routes tfjs-layers' BatchNormalization in training mode (channels last) through
 * normalizeInTraining on wasm; the moving averages are updated as tfjs does. On other backends
 * only layers without scale or center take this path (tfjs's own training path throws on
 * them). Every other case, and inference, stays tfjs's own.
 */
export function installFusedBatchNorm(): void {
  routeTrainingCall<BatchNormalizationLayer>('BatchNormalization', (layer, x) => {
    const lastAxis = layer.axis === -1 || layer.axis === x.rank - 1;
    if (!lastAxis || x.dtype !== 'float32' || x.rank < 2) return undefined;
    if (!wasmActive() && layer.gamma && layer.beta) return undefined;
    // Without scale or center the constant 1 or 0 stands in (tfjs's own training path reads
    // the missing weight and throws, so Keras models with scale=False could not train).
    const channels = x.shape[x.rank - 1];
    const gamma = layer.gamma ? layer.gamma.read() : tf.ones([channels]);
    const beta = layer.beta ? layer.beta.read() : tf.zeros([channels]);
    return normalizeInTraining(x, gamma, beta, layer.epsilon, (mean, variance) => {
      for (const [variable, value] of [[layer.movingMean, mean], [layer.movingVariance, variance]] as const) {
        const current = variable.read();
        variable.write(tf.sub(current, tf.mul(tf.sub(current, value), 1 - layer.momentum)));
      }
    });
  });
}

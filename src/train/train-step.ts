import * as tf from '@tensorflow/tfjs';
import { crossEntropy, type OutputKind } from './loss.js';

/** Losses of one step, as numbers. */
export interface StepLosses {
  loss: number;
  taskLoss: number;
  regLoss: number;
}

export interface TrainStepOptions {
  numClasses: number;
  outputKind: OutputKind;
  /** An extra differentiable loss term (the MorphNet regularizer, already scaled by lambda). */
  regularization?: () => tf.Scalar;
}

/**
 * One optimisation step on a batch: forward in training mode (BN uses batch statistics and
 * updates its moving averages), cross-entropy plus the optional regularizer, gradients, update.
 * Every tensor it makes is released; only the weights and the optimizer's slots persist.
 */
export function trainStep(model: tf.LayersModel, optimizer: tf.Optimizer, x: tf.Tensor, labels: tf.Tensor, options: TrainStepOptions): StepLosses {
  // The loss parts are made inside minimize's own scope: keep them to read them after.
  let taskLoss: tf.Scalar | undefined;
  let regLoss: tf.Scalar | undefined;
  const parts = tf.tidy(() => {
    const total = optimizer.minimize(
      () => {
        const output = model.apply(x, { training: true }) as tf.Tensor;
        taskLoss = tf.keep(crossEntropy(output, labels, options.numClasses, options.outputKind));
        if (!options.regularization) return taskLoss;
        regLoss = tf.keep(options.regularization());
        return tf.add(taskLoss, regLoss) as tf.Scalar;
      },
      true,
      model.trainableWeights.map((w) => w.read() as tf.Variable),
    )!;
    return tf.stack([total, taskLoss!, regLoss ?? tf.scalar(0)]);
  });
  const [loss, task, reg] = parts.dataSync();
  tf.dispose([parts, taskLoss!, ...(regLoss ? [regLoss] : [])]);
  return { loss, taskLoss: task, regLoss: reg };
}

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
  /**
   * Samples per forward/backward pass when the batch does not fit in memory at once: the
   * gradients of the passes are summed (each pass's loss weighted by its share of the batch)
   * and applied in one update. BatchNormalization sees each micro-batch's statistics and
   * updates its moving averages once per pass, as gradient accumulation does in Keras/PyTorch.
   */
  microBatchSize?: number;
}

/**
 * One optimisation step on a batch: forward in training mode (BN uses batch statistics and
 * updates its moving averages), cross-entropy plus the optional regularizer, gradients, update.
 * Every tensor it makes is released; only the weights and the optimizer's slots persist.
 */
export function trainStep(model: tf.LayersModel, optimizer: tf.Optimizer, x: tf.Tensor, labels: tf.Tensor, options: TrainStepOptions): StepLosses {
  if (options.microBatchSize !== undefined && options.microBatchSize < x.shape[0]) return accumulatedStep(model, optimizer, x, labels, options, options.microBatchSize);
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

/** A batch's rows [start, start + size). */
function rows(t: tf.Tensor, start: number, size: number): tf.Tensor {
  return tf.slice(t, [start, ...t.shape.slice(1).map(() => 0)], [size, ...t.shape.slice(1).map(() => -1)]);
}

/** trainStep over micro-batches of `microBatch` samples with summed gradients (see TrainStepOptions). */
function accumulatedStep(model: tf.LayersModel, optimizer: tf.Optimizer, x: tf.Tensor, labels: tf.Tensor, options: TrainStepOptions, microBatch: number): StepLosses {
  const batch = x.shape[0];
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  let sums: tf.NamedTensorMap | undefined;
  let taskLoss = 0;
  let regLoss = 0;
  for (let start = 0; start < batch; start += microBatch) {
    const size = Math.min(microBatch, batch - start);
    // The regularizer depends on the weights only: it joins the first pass's loss, once.
    const withRegularizer = start === 0 && options.regularization !== undefined;
    const kept: tf.Tensor[] = [];
    const { grads, parts } = tf.tidy(() => {
      let task: tf.Scalar = tf.scalar(0);
      let reg: tf.Scalar = tf.scalar(0);
      const { value, grads } = tf.variableGrads(() => {
        const output = model.apply(rows(x, start, size), { training: true }) as tf.Tensor;
        task = tf.keep(tf.mul(crossEntropy(output, rows(labels, start, size), options.numClasses, options.outputKind), size / batch) as tf.Scalar);
        if (!withRegularizer) return task;
        reg = tf.keep(options.regularization!());
        return tf.add(task, reg) as tf.Scalar;
      }, variables);
      kept.push(value, task, reg);
      return { grads, parts: tf.stack([task, reg]) };
    });
    const [task, reg] = parts.dataSync();
    tf.dispose([parts, ...kept]);
    taskLoss += task;
    regLoss += reg;
    if (!sums) sums = grads;
    else {
      const previous: tf.NamedTensorMap = sums;
      sums = Object.fromEntries(Object.entries(grads).map(([name, grad]) => [name, tf.add(previous[name], grad)]));
      tf.dispose([...Object.values(previous), ...Object.values(grads)]);
    }
  }
  optimizer.applyGradients(sums!);
  tf.dispose(Object.values(sums!));
  return { loss: taskLoss + regLoss, taskLoss, regLoss };
}

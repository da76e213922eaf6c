import * as tf from '@tensorflow/tfjs';
import type { Samples } from '../data/dataset.js';
import { sequentialBatches } from './batches.js';
import { crossEntropy, type OutputKind } from './loss.js';

export interface Evaluation {
  loss: number;
  accuracy: number;
  count: number;
}

/** The accuracy of an evaluation, or undefined when the split was empty (no validation set): never NaN. */
export function measuredAccuracy(evaluation: Evaluation): number | undefined {
  return evaluation.count > 0 ? evaluation.accuracy : undefined;
}

/** `{ valAccuracy }` for a stage result, or nothing when there was no validation set, so JSON holds no null. */
export function optionalValAccuracy(validation: Evaluation): { valAccuracy?: number } {
  return validation.count > 0 ? { valAccuracy: validation.accuracy } : {};
}

/** Loss and top-1 accuracy over a whole split, in inference mode, batch by batch. */
export function evaluate(model: tf.LayersModel, samples: Samples, batchSize: number, numClasses: number, kind: OutputKind): Evaluation {
  let lossSum = 0;
  let correct = 0;
  for (const { x, labels } of sequentialBatches(samples, batchSize)) {
    const [batchLoss, batchCorrect] = tf.tidy(() => {
      const output = model.predict(x) as tf.Tensor;
      const loss = crossEntropy(output, labels, numClasses, kind).mul(labels.shape[0]);
      const hits = tf.equal(tf.argMax(output, -1), labels.toInt()).sum();
      return tf.stack([loss, hits.toFloat()]).dataSync();
    });
    lossSum += batchLoss;
    correct += batchCorrect;
    tf.dispose([x, labels]);
  }
  const count = samples.count;
  return { loss: count ? lossSum / count : NaN, accuracy: count ? correct / count : NaN, count };
}

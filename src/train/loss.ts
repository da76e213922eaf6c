import * as tf from '@tensorflow/tfjs';

/** Whether the model's output is already a probability distribution (softmax) or raw logits. */
export type OutputKind = 'probabilities' | 'logits';

export function outputKind(model: tf.LayersModel): OutputKind {
  const last = model.layers[model.layers.length - 1];
  const config = last.getConfig() as { activation?: string };
  const className = last.getClassName();
  return config.activation === 'softmax' || className === 'Softmax' ? 'probabilities' : 'logits';
}

/**
 * Mean categorical cross-entropy of integer labels. Probabilities are clipped to
 * [1e-7, 1 - 1e-7] before the log, as Keras does.
 */
export function crossEntropy(output: tf.Tensor, labels: tf.Tensor, numClasses: number, kind: OutputKind): tf.Scalar {
  return tf.tidy(() => {
    const oneHot = tf.oneHot(labels.toInt(), numClasses);
    if (kind === 'logits') return tf.losses.softmaxCrossEntropy(oneHot, output) as tf.Scalar;
    const logProbabilities = tf.log(tf.clipByValue(output, 1e-7, 1 - 1e-7));
    return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, logProbabilities), -1))) as tf.Scalar;
  });
}

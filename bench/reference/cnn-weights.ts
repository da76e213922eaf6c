import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { writeNpy } from './npy-file.js';

/** The conv-BN blocks of zoo:cnn, in order; the reference (gamma_flops.py) reads their weights by these names. */
export const CNN_CONVS = ['conv1', 'conv2', 'conv3'] as const;

function save(directory: string, name: string, weight: tf.Tensor): void {
  writeNpy(join(directory, `${name}.npy`), weight.dataSync() as Float32Array, weight.shape);
}

/**
 * Writes the trainable weights of a zoo:cnn model as .npy files in Keras layouts: `conv1_kernel`
 * [kh, kw, in, out], `conv1_bn_gamma`, `conv1_bn_beta`, ..., `predictions_kernel` [in, out],
 * `predictions_bias`.
 */
export function exportCnnWeights(model: tf.LayersModel, directory: string): void {
  mkdirSync(directory, { recursive: true });
  for (const conv of CNN_CONVS) {
    save(directory, `${conv}_kernel`, model.getLayer(conv).getWeights()[0]);
    const [gamma, beta] = model.getLayer(`${conv}_bn`).getWeights();
    save(directory, `${conv}_bn_gamma`, gamma);
    save(directory, `${conv}_bn_beta`, beta);
  }
  const [kernel, bias] = model.getLayer('predictions').getWeights();
  save(directory, 'predictions_kernel', kernel);
  save(directory, 'predictions_bias', bias);
}

/** The current gammas of zoo:cnn's BN layers, by conv name. */
export function cnnGammas(model: tf.LayersModel): Record<string, number[]> {
  return Object.fromEntries(CNN_CONVS.map((conv) => [conv, Array.from(model.getLayer(`${conv}_bn`).getWeights()[0].dataSync())]));
}

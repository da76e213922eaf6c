import * as tf from '@tensorflow/tfjs';
import { type PairedProtocol, type PairedSamples, samplePaired, sampleRuns, type TimingProtocol } from './timing.js';

/** A model's inference on random inputs of `batch` examples, run as one batch (predict would otherwise split them into batches of 32). */
export function inferenceRun(model: tf.LayersModel, batch: number): { run: () => void; dispose: () => void } {
  const inputs = model.inputs.map((input) => tf.randomNormal([batch, ...input.shape.slice(1).map(Number)]));
  return {
    run: () => tf.dispose(model.predict(inputs.length === 1 ? inputs[0] : inputs, { batchSize: batch })),
    dispose: () => tf.dispose(inputs),
  };
}

/** Samples of the whole model's inference at its own widths (`sampleRuns`, `inferenceRun`). */
export function sampleModel(model: tf.LayersModel, batch: number, protocol: TimingProtocol): number[] {
  const inference = inferenceRun(model, batch);
  try {
    return sampleRuns(inference.run, protocol);
  } finally {
    inference.dispose();
  }
}

/** A model's inference timed in pairs with a reference model's, e.g. the seed's (`samplePaired`, `inferenceRun`). */
export function sampleModelPaired(model: tf.LayersModel, reference: tf.LayersModel, batch: number, protocol: PairedProtocol): PairedSamples {
  const [inference, referenceInference] = [inferenceRun(model, batch), inferenceRun(reference, batch)];
  try {
    return samplePaired(inference.run, referenceInference.run, protocol);
  } finally {
    inference.dispose();
    referenceInference.dispose();
  }
}

import type * as tf from '@tensorflow/tfjs';
import { MorphnetError } from '../errors.js';

/** wasm32 addresses 4 GiB; past it the backend dies with "memory access out of bounds". */
export const WASM_HEAP_BYTES = 4 * 1024 ** 3;
/** Kept free for weights, optimizer slots, the dataset's batch and the allocator's slack. */
const HEAP_RESERVE_BYTES = 384 * 1024 ** 2;
/**
 * Heap bytes a training step takes per float of layer output, measured on the wasm backend
 * (growth of the heap over one step, 2 threads): zoo:cnn 7.2 (3.77 MB per sample for 131,712
 * output floats), zoo:resnet-small 6.1 (27.0 MB for 1,114,112). The forward activations, their
 * gradients and the kernels' temporaries (transposes, zero-inserted gradients) all scale so.
 */
const STEP_BYTES_PER_OUTPUT_FLOAT = 7.5 * 4;

/** Floats every layer outputs for one sample (nested models included). */
export function outputFloatsPerSample(model: tf.LayersModel): number {
  let total = 0;
  for (const layer of model.layers) {
    if ('layers' in layer) total += outputFloatsPerSample(layer as tf.LayersModel);
    else if (layer.getClassName() !== 'InputLayer') {
      const shapes = (Array.isArray(layer.outputShape[0]) ? layer.outputShape : [layer.outputShape]) as Array<Array<number | null>>;
      for (const shape of shapes) total += shape.slice(1).reduce<number>((a, b) => a * (b ?? 1), 1);
    }
  }
  return total;
}

/** The heap a training step on `batch` samples is estimated to take. */
export function estimateStepBytes(model: tf.LayersModel, batch: number): number {
  return batch * outputFloatsPerSample(model) * STEP_BYTES_PER_OUTPUT_FLOAT;
}

export interface MicroBatchPlan {
  /** Samples per forward/backward pass. */
  size: number;
  /** Passes per step, whose gradients are summed before one update. */
  count: number;
  estimatedBytes: number;
}

/**
 * How to run a step of `batchSize` within `heapBytes`: in one pass when it fits, else in the
 * fewest equal-as-possible micro-batches that do. A model where one sample does not fit is an
 * error that says what does.
 */
export function planMicroBatches(model: tf.LayersModel, batchSize: number, heapBytes = WASM_HEAP_BYTES): MicroBatchPlan {
  const budget = heapBytes - HEAP_RESERVE_BYTES;
  const perSample = estimateStepBytes(model, 1);
  const fits = Math.floor(budget / perSample);
  const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
  if (fits < 1) {
    throw new MorphnetError(
      'unsupported',
      `one training sample of this model needs about ${gib(perSample)} of the wasm heap, which holds ${gib(heapBytes)}`,
      'use a smaller input shape or width, or the tensorflow backend (npm install @tensorflow/tfjs-node)',
    );
  }
  const count = Math.ceil(batchSize / fits);
  const size = Math.ceil(batchSize / count);
  return { size, count, estimatedBytes: estimateStepBytes(model, size) };
}

import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendRequest } from '../src/backend/select.js';
import { outputKind } from '../src/train/loss.js';
import { createOptimizer } from '../src/train/optimizer.js';
import { trainStep } from '../src/train/train-step.js';
import { buildBenchModel } from './train-step.js';

export interface KernelTime {
  /** Kernel name, with its input shapes when asked for. */
  kernel: string;
  msPerStep: number;
  callsPerStep: number;
  /** msPerStep / the step's time. */
  share: number;
}

/** The key a call is counted under: the kernel, or the kernel and its inputs' shapes. */
function callKey(kernelName: string, inputs: Record<string, tf.TensorInfo | undefined>, withShapes: boolean): string {
  if (!withShapes) return kernelName;
  const shapes = Object.values(inputs)
    .filter((t): t is tf.TensorInfo => t != null)
    .map((t) => t.shape.join('x'));
  return `${kernelName} ${shapes.join(',')}`;
}

/**
 * Where a training step's time goes, kernel by kernel: every kernel of the backend is wrapped
 * with a timer, then `steps` steps run after a warm-up. A kernel built from other kernels (the
 * wasm gradients) counts their time too, so the shares can add up to more than 1.
 */
export async function profileTrainStep(args: { backend: BackendRequest; model: string; batch: number; threads?: number; steps: number; shapes: boolean }) {
  const choice = await initBackend(args.backend, args.threads);
  const network = buildBenchModel(args.model);
  const optimizer = createOptimizer({ name: 'momentum', learningRate: 0.01, momentum: 0.9 });
  const x = tf.randomUniform([args.batch, ...(network.inputs[0].shape as number[]).slice(1)], 0, 1, 'float32', 1);
  const labels = tf.randomUniform([args.batch], 0, 10, 'int32', 2);
  const options = { numClasses: 10, outputKind: outputKind(network) };
  trainStep(network, optimizer, x, labels, options);
  const totals = new Map<string, { ms: number; calls: number }>();
  const kernels = tf.getKernelsForBackend(choice.tfBackend);
  const originals = kernels.map((kernel) => kernel.kernelFunc);
  kernels.forEach((kernel, i) => {
    kernel.kernelFunc = (kernelArgs) => {
      const start = performance.now();
      const result = originals[i](kernelArgs);
      const key = callKey(kernel.kernelName, kernelArgs.inputs as Record<string, tf.TensorInfo | undefined>, args.shapes);
      const entry = totals.get(key) ?? { ms: 0, calls: 0 };
      entry.ms += performance.now() - start;
      entry.calls++;
      totals.set(key, entry);
      return result;
    };
  });
  const start = performance.now();
  try {
    for (let i = 0; i < args.steps; i++) trainStep(network, optimizer, x, labels, options);
  } finally {
    kernels.forEach((kernel, i) => (kernel.kernelFunc = originals[i]));
  }
  const msPerStep = (performance.now() - start) / args.steps;
  const byKernel: KernelTime[] = [...totals]
    .map(([kernel, { ms, calls }]) => ({ kernel, msPerStep: ms / args.steps, callsPerStep: calls / args.steps, share: ms / args.steps / msPerStep }))
    .sort((a, b) => b.msPerStep - a.msPerStep);
  tf.dispose([x, labels]);
  return { model: args.model, backend: choice.name, threads: choice.threads ?? 1, batch: args.batch, steps: args.steps, msPerStep, kernels: byKernel };
}

import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend/select.js';
import { loadMnist } from '../src/data/sources/mnist.js';
import { buildZooModel } from '../src/model/zoo/registry.js';
import { makeBatch } from '../src/train/batches.js';
import { outputKind } from '../src/train/loss.js';
import { createOptimizer } from '../src/train/optimizer.js';
import { trainStep } from '../src/train/train-step.js';

export interface TrainStepCase {
  model: string;
  backend: string;
  threads: number;
  batch: number;
  steps: number;
  msPerStep: number;
}

/** One warm-up step, then the mean of `steps` timed steps. */
async function timeTrainStep(backend: string, model: string, batch: number, steps: number): Promise<TrainStepCase> {
  await tf.setBackend(backend);
  const network = buildZooModel(model);
  const optimizer = createOptimizer({ name: 'momentum', learningRate: 0.01, momentum: 0.9 });
  const data = loadMnist().train;
  const { x, labels } = makeBatch(data, 0, batch);
  const options = { numClasses: 10, outputKind: outputKind(network) };
  trainStep(network, optimizer, x, labels, options);
  const start = performance.now();
  for (let i = 0; i < steps; i++) trainStep(network, optimizer, x, labels, options);
  const msPerStep = (performance.now() - start) / steps;
  tf.dispose([x, labels]);
  optimizer.dispose();
  network.weights.forEach((w) => w.dispose());
  return { model, backend, threads: 1, batch, steps, msPerStep };
}

/** ms per training step of zoo:cnn on mnist (batch 64) on wasm and cpu in one process, and their ratio. */
export async function benchTrainStep(args: { wasmSteps: number; cpuSteps: number; batch: number }): Promise<{ cases: TrainStepCase[]; ratio: number }> {
  await initBackend('wasm');
  const wasm = await timeTrainStep('wasm', 'cnn', args.batch, args.wasmSteps);
  if (args.cpuSteps === 0) return { cases: [wasm], ratio: NaN };
  const cpu = await timeTrainStep('cpu', 'cnn', args.batch, args.cpuSteps);
  return { cases: [wasm, cpu], ratio: cpu.msPerStep / wasm.msPerStep };
}

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { defaultThreads, initBackend, type BackendRequest } from '../src/backend/select.js';
import { buildZooModel } from '../src/model/zoo/registry.js';
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
  torchMsPerStep?: number;
  /** msPerStep / torchMsPerStep: how many times slower than PyTorch on the same CPU. */
  ratio?: number;
}

/** The bench's models: the MNIST CNN and the small ResNet, at the batch sizes. */
export const BENCH_MODELS = [
  { model: 'cnn', batch: 64, steps: 10 },
  { model: 'resnet-small', batch: 128, steps: 3 },
];

const PYTHON = '/usr/bin/python3';
const TORCH_SCRIPT = join(import.meta.dirname, '../../bench/torch_train_step.py');

/** Whether Debian's python3 has torch (package python3-torch). */
export function torchAvailable(): boolean {
  return existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

/** PyTorch's ms per step for the same model, batch and threads, in a child process. */
function torchMsPerStep(model: string, batch: number, threads: number, steps: number): number {
  const result = spawnSync(PYTHON, [TORCH_SCRIPT, model, String(batch), String(threads), String(steps)], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`PyTorch bench failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1)!).msPerStep;
}

/** One warm-up step, then the mean of `steps` timed steps, on random inputs and labels. */
async function timeTrainStep(model: string, batch: number, steps: number): Promise<number> {
  const network = buildZooModel(model);
  const optimizer = createOptimizer({ name: 'momentum', learningRate: 0.01, momentum: 0.9 });
  const inputShape = (network.inputs[0].shape as number[]).slice(1);
  const x = tf.randomUniform([batch, ...inputShape], 0, 1, 'float32', 1);
  const labels = tf.randomUniform([batch], 0, 10, 'int32', 2);
  const options = { numClasses: 10, outputKind: outputKind(network) };
  trainStep(network, optimizer, x, labels, options);
  const start = performance.now();
  for (let i = 0; i < steps; i++) trainStep(network, optimizer, x, labels, options);
  const msPerStep = (performance.now() - start) / steps;
  tf.dispose([x, labels]);
  optimizer.dispose();
  network.weights.forEach((w) => w.dispose());
  return msPerStep;
}

/**
 * ms per training step of each bench model on each backend asked for, with 1 thread and with
 * all cores, and PyTorch's on the same model, batch and threads where python3 has torch.
 */
export async function benchTrainStep(args: { backends: BackendRequest[]; stepsScale: number; models?: string[] }): Promise<{ cases: TrainStepCase[] }> {
  const cases: TrainStepCase[] = [];
  const withTorch = torchAvailable();
  const threadCounts = [...new Set([1, defaultThreads()])];
  for (const { model, batch, steps: baseSteps } of BENCH_MODELS.filter((m) => !args.models || args.models.includes(m.model))) {
    const steps = Math.max(1, Math.round(baseSteps * args.stepsScale));
    for (const backend of args.backends) {
      // The pure JavaScript backend takes about 90 s for one zoo:cnn step: one step, cnn only.
      if (backend === 'cpu' && model !== 'cnn') continue;
      for (const threads of backend === 'wasm' ? threadCounts : [1]) {
        const choice = await initBackend(backend, threads).catch(() => undefined);
        if (choice?.name !== backend) continue;
        const timed = backend === 'cpu' ? 1 : steps;
        const msPerStep = await timeTrainStep(model, batch, timed);
        // PyTorch steps are short and noisy: three times as many.
        const torch = withTorch ? torchMsPerStep(model, batch, threads, 3 * steps) : undefined;
        cases.push({ model, backend, threads: choice.threads ?? threads, batch, steps: timed, msPerStep, ...(torch ? { torchMsPerStep: torch, ratio: msPerStep / torch } : {}) });
      }
    }
  }
  return { cases };
}

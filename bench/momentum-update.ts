import * as tf from '@tensorflow/tfjs';
import { defaultThreads, initBackend } from '../src/backend/select.js';
import { FusedMomentumOptimizer } from '../src/train/fused-momentum.js';
import { outputKind } from '../src/train/loss.js';
import { trainStep } from '../src/train/train-step.js';
import { buildBenchModel, spreadOf, type Spread } from './train-step.js';

/** The two cases: the MNIST CNN at batch 64 and MobileNetV2-0.35 on 96x96 at batch 32. */
export const MOMENTUM_BENCH_MODELS = [
  { model: 'cnn', batch: 64, stepsPerBlock: 10, updatesPerBlock: 40 },
  { model: 'mobilenet-v2?width=0.35&inputShape=96,96,3&classes=10', batch: 32, stepsPerBlock: 4, updatesPerBlock: 20 },
];

export interface MomentumBenchCase {
  model: string;
  batch: number;
  threads: number;
  variables: number;
  weights: number;
  blocks: number;
  /** ms per training step, tfjs's optimizer and the fused one, per-block medians [min-max]. */
  stepMs: { tfjs: Spread; fused: Spread; stepsPerBlock: number };
  /** ms per optimizer update alone (applyGradients with fixed gradients). */
  updateMs: { tfjs: Spread; fused: Spread; updatesPerBlock: number };
  /** The two models' weights after all steps, compared bit for bit. */
  weightsIdentical: boolean;
}

/** ms per call of `run` over a block of `count` calls. */
function timeBlock(count: number, run: () => void): number {
  const start = performance.now();
  for (let i = 0; i < count; i++) run();
  return (performance.now() - start) / count;
}

/**
 * Blocks of `a` and `b` in turn, the first of each pair alternating (a b, b a, ...) so a drift
 * in machine load weighs on both alike; per-block ms of each.
 */
function interleave(blocks: number, a: () => number, b: () => number): { a: number[]; b: number[] } {
  const times = { a: [] as number[], b: [] as number[] };
  for (let block = 0; block < blocks; block++) {
    if (block % 2 === 0) {
      times.a.push(a());
      times.b.push(b());
    } else {
      times.b.push(b());
      times.a.push(a());
    }
  }
  return times;
}

function sameBits(a: tf.LayersModel, b: tf.LayersModel): boolean {
  return a.weights.every((w, i) => {
    const x = new Uint32Array((w.read().dataSync() as Float32Array).slice().buffer);
    const y = new Uint32Array((b.weights[i].read().dataSync() as Float32Array).slice().buffer);
    return x.length === y.length && x.every((v, k) => v === y[k]);
  });
}

/** Two copies of one model trained side by side, one with tf.train.momentum, one with FusedMomentumOptimizer. */
function benchModel(spec: (typeof MOMENTUM_BENCH_MODELS)[number], threads: number, blocks: number): MomentumBenchCase {
  const tfjsModel = buildBenchModel(spec.model);
  const fusedModel = buildBenchModel(spec.model);
  fusedModel.setWeights(tfjsModel.getWeights());
  const tfjsOptimizer = tf.train.momentum(0.01, 0.9);
  const fusedOptimizer = new FusedMomentumOptimizer(0.01, 0.9);
  const inputShape = (tfjsModel.inputs[0].shape as number[]).slice(1);
  const x = tf.randomUniform([spec.batch, ...inputShape], 0, 1, 'float32', 1);
  const labels = tf.randomUniform([spec.batch], 0, 10, 'int32', 2);
  const options = { numClasses: 10, outputKind: outputKind(tfjsModel) };
  const step = (model: tf.LayersModel, optimizer: tf.Optimizer) => () => timeBlock(spec.stepsPerBlock, () => trainStep(model, optimizer, x, labels, options));
  step(tfjsModel, tfjsOptimizer)(); // warm-up blocks: slots made, kernels compiled
  step(fusedModel, fusedOptimizer)();
  const steps = interleave(blocks, step(tfjsModel, tfjsOptimizer), step(fusedModel, fusedOptimizer));
  const weightsIdentical = sameBits(tfjsModel, fusedModel);

  // The update alone: fixed gradients (tiny, so the weights barely move), each optimizer on its own model.
  const gradientsOf = (model: tf.LayersModel) => model.trainableWeights.map((w) => ({ name: (w.read() as tf.Variable).name, tensor: tf.fill(w.shape as number[], 1e-6) }));
  const tfjsGradients = gradientsOf(tfjsModel);
  const fusedGradients = gradientsOf(fusedModel);
  const update = (optimizer: tf.Optimizer, gradients: typeof tfjsGradients) => () => timeBlock(spec.updatesPerBlock, () => optimizer.applyGradients(gradients));
  const updates = interleave(blocks, update(tfjsOptimizer, tfjsGradients), update(fusedOptimizer, fusedGradients));

  const result: MomentumBenchCase = {
    model: spec.model,
    batch: spec.batch,
    threads,
    variables: tfjsModel.trainableWeights.length,
    weights: tfjsModel.trainableWeights.reduce((sum, w) => sum + w.read().size, 0),
    blocks,
    stepMs: { tfjs: spreadOf(steps.a), fused: spreadOf(steps.b), stepsPerBlock: spec.stepsPerBlock },
    updateMs: { tfjs: spreadOf(updates.a), fused: spreadOf(updates.b), updatesPerBlock: spec.updatesPerBlock },
    weightsIdentical,
  };
  tf.dispose([x, labels, ...tfjsGradients.map((g) => g.tensor), ...fusedGradients.map((g) => g.tensor)]);
  tfjsOptimizer.dispose();
  fusedOptimizer.dispose();
  tfjsModel.dispose();
  fusedModel.dispose();
  return result;
}

/**
 * Training steps and optimizer updates with tfjs's MomentumOptimizer against the fused one
 * (src/train/fused-momentum.ts) on the wasm backend, interleaved blocks in one process.
 */
export async function benchMomentumUpdate(args: { threads?: number; blocks: number; models?: string[] }): Promise<{ cases: MomentumBenchCase[] }> {
  const threads = args.threads ?? defaultThreads();
  const choice = await initBackend('wasm', threads);
  if (choice.name !== 'wasm') throw new Error(`the momentum bench needs the wasm backend, got ${choice.name}`);
  const chosen = args.models ? MOMENTUM_BENCH_MODELS.filter((m) => args.models!.some((name) => m.model.startsWith(name))) : MOMENTUM_BENCH_MODELS;
  return { cases: chosen.map((spec) => benchModel(spec, choice.threads ?? threads, args.blocks)) };
}

export function printMomentumBench({ cases }: { cases: MomentumBenchCase[] }): void {
  const spread = (s: Spread) => `${s.median.toFixed(2)} [${s.min.toFixed(2)}-${s.max.toFixed(2)}]`;
  console.log('momentum update on wasm: tfjs MomentumOptimizer vs FusedMomentumOptimizer, ms, median [min-max] of interleaved blocks');
  for (const c of cases) {
    console.log(`  ${c.model} batch ${c.batch}, ${c.threads} threads, ${c.variables} variables (${c.weights} weights), ${c.blocks} blocks each:`);
    console.log(`    training step (${c.stepMs.stepsPerBlock} a block): tfjs ${spread(c.stepMs.tfjs)}  fused ${spread(c.stepMs.fused)}  saved ${(c.stepMs.tfjs.median - c.stepMs.fused.median).toFixed(2)}`);
    console.log(`    update alone (${c.updateMs.updatesPerBlock} a block):  tfjs ${spread(c.updateMs.tfjs)}  fused ${spread(c.updateMs.fused)}  saved ${(c.updateMs.tfjs.median - c.updateMs.fused.median).toFixed(2)}`);
    console.log(`    weights after the steps bit for bit equal: ${c.weightsIdentical ? 'yes' : 'NO'}`);
  }
}

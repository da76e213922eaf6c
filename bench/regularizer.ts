import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend/select.js';
import { CostModel } from '../src/cost/cost-model.js';
import { loadMnist } from '../src/data/sources/mnist.js';
import { analyzeChannels } from '../src/graph/channel-groups.js';
import { buildLayerGraph } from '../src/graph/build-graph.js';
import { buildZooModel } from '../src/model/zoo/registry.js';
import { NetworkRegularizer } from '../src/regularizers/network-regularizer.js';
import { findSources } from '../src/regularizers/sources.js';
import { makeBatch } from '../src/train/batches.js';
import { createOptimizer } from '../src/train/optimizer.js';
import { trainStep } from '../src/train/train-step.js';

/**
 * The MorphNet regularizer's overhead on a training step of zoo:cnn (mnist, batch 64): blocks of
 * steps with and without it, alternated in one process so drift hits both alike. "With" is what
 * shrink does per step: the penalty in the loss, then the alive channels and weights refreshed.
 */
export async function benchRegularizer(blocks: number, stepsPerBlock: number) {
  await initBackend('wasm');
  const model = buildZooModel('cnn');
  const analysis = analyzeChannels(buildLayerGraph(model));
  const costModel = new CostModel(analysis);
  const regularizer = new NetworkRegularizer(costModel, findSources(analysis, 'gamma').regularized, {
    kind: 'gamma',
    target: 'flops',
    threshold: 0.01,
    l1Fraction: 0,
    costOptions: {},
  });
  const strength = 1 / costModel.resource('flops', costModel.allAlive());
  const optimizer = createOptimizer({ name: 'momentum', learningRate: 0.01, momentum: 0.9 });
  const { x, labels } = makeBatch(loadMnist().train, 0, 64);
  const plain = { numClasses: 10, outputKind: 'probabilities' as const };
  const regularized = { ...plain, regularization: () => regularizer.penalty().mul(strength) as tf.Scalar };
  const time = (withRegularizer: boolean) => {
    const start = performance.now();
    for (let i = 0; i < stepsPerBlock; i++) {
      trainStep(model, optimizer, x, labels, withRegularizer ? regularized : plain);
      if (withRegularizer) {
        regularizer.updateAlive();
        regularizer.cost();
      }
    }
    return performance.now() - start;
  };
  time(true);
  time(false);
  let withMs = 0;
  let withoutMs = 0;
  for (let b = 0; b < blocks; b++) {
    withoutMs += time(false);
    withMs += time(true);
  }
  const steps = blocks * stepsPerBlock;
  return { steps, msPerStepWithout: withoutMs / steps, msPerStepWith: withMs / steps, ratio: withMs / withoutMs };
}

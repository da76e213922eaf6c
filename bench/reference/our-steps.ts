import * as tf from '@tensorflow/tfjs';
import { CostModel } from '../../src/cost/cost-model.js';
import { analyzeChannels } from '../../src/graph/channel-groups.js';
import { buildLayerGraph } from '../../src/graph/build-graph.js';
import { NetworkRegularizer } from '../../src/regularizers/network-regularizer.js';
import { findSources } from '../../src/regularizers/sources.js';
import { outputKind } from '../../src/train/loss.js';
import { createOptimizer } from '../../src/train/optimizer.js';
import { trainStep } from '../../src/train/train-step.js';
import { cnnGammas } from './cnn-weights.js';

/** What both implementations report for one step. */
export interface StepRecord {
  step: number;
  /** Task loss and lambda * R at the weights the step started from. */
  taskLoss: number;
  regLoss: number;
  /** Monitored FLOPs and alive channels per conv at those weights (the A terms the step used). */
  cost: number;
  alive: Record<string, number>;
  /** Gammas after the step, per conv. */
  gammas: Record<string, number[]>;
}

export interface ShrinkHyperparameters {
  lambda: number;
  threshold: number;
  learningRate: number;
  momentum: number;
  batchSize: number;
}

/** The FLOP regularizer of a model as `morphnet shrink` builds it (gamma sources, flops target). */
export function flopRegularizer(model: tf.LayersModel, threshold: number): NetworkRegularizer {
  const analysis = analyzeChannels(buildLayerGraph(model));
  return new NetworkRegularizer(new CostModel(analysis), findSources(analysis, 'gamma').regularized, {
    kind: 'gamma',
    target: 'flops',
    threshold,
    l1Fraction: 0,
    costOptions: { batchSize: 1 },
  });
}

/** Alive channels per regularized group, named by the conv whose BN scores it (conv1_bn -> conv1). */
function aliveByConv(regularizer: NetworkRegularizer): Record<string, number> {
  const alive = regularizer.aliveComponents();
  return Object.fromEntries(regularizer.groups.map((entry) => [entry.sources[0].nodeId.replace(/_bn$/, ''), entry.group.components.filter((c) => alive[c] > 0).length]));
}

/**
 * Trains zoo:cnn on consecutive batches of `x` / `labels` with this project's parts, composed as
 * `morphnet shrink` composes them: trainStep with task loss + lambda * NetworkRegularizer penalty,
 * the configured momentum optimizer, and alive channels re-derived from the gammas before every
 * step. One record per step.
 */
export function runOurSteps(model: tf.LayersModel, x: Float32Array, labels: Int32Array, options: ShrinkHyperparameters): StepRecord[] {
  const regularizer = flopRegularizer(model, options.threshold);
  const optimizer = createOptimizer({ name: 'momentum', learningRate: options.learningRate, momentum: options.momentum });
  const inputShape = (model.inputs[0].shape as number[]).slice(1);
  const sampleSize = inputShape.reduce((a, b) => a * b, 1);
  const stepOptions = { numClasses: 10, outputKind: outputKind(model), regularization: () => regularizer.penalty().mul(options.lambda) as tf.Scalar };
  const records: StepRecord[] = [];
  const { batchSize } = options;
  for (let step = 0; step < Math.floor(labels.length / batchSize); step++) {
    regularizer.updateAlive();
    const cost = regularizer.cost();
    const alive = aliveByConv(regularizer);
    const xs = tf.tensor(x.subarray(step * batchSize * sampleSize, (step + 1) * batchSize * sampleSize), [batchSize, ...inputShape]);
    const ys = tf.tensor1d(labels.subarray(step * batchSize, (step + 1) * batchSize), 'int32');
    const losses = trainStep(model, optimizer, xs, ys, stepOptions);
    tf.dispose([xs, ys]);
    records.push({ step, taskLoss: losses.taskLoss, regLoss: losses.regLoss, cost, alive, gammas: cnnGammas(model) });
  }
  regularizer.dispose();
  optimizer.dispose();
  return records;
}

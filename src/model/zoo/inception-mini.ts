import * as tf from '@tensorflow/tfjs';
import { classifier, convBn, input, scaledWidth, type InitSeeds } from './blocks.js';
import type { ZooOptions } from './options.js';

/** Channels of one inception module's towers: 1x1; 1x1 -> 3x3; 1x1 -> 3x3 -> 3x3; pool -> 1x1. */
interface ModuleWidths {
  branch1x1: number;
  branch3x3Reduce: number;
  branch3x3: number;
  branchDoubleReduce: number;
  branchDouble: number;
  branchPool: number;
}

const MODULES: ModuleWidths[] = [
  { branch1x1: 32, branch3x3Reduce: 32, branch3x3: 48, branchDoubleReduce: 16, branchDouble: 24, branchPool: 16 },
  { branch1x1: 48, branch3x3Reduce: 48, branch3x3: 64, branchDoubleReduce: 24, branchDouble: 32, branchPool: 32 },
];

function inceptionModule(x: tf.SymbolicTensor, name: string, m: ModuleWidths, width: number, seeds: InitSeeds): tf.SymbolicTensor {
  const w = (c: number) => scaledWidth(c, width);
  const tower1 = convBn(x, `${name}_1x1`, { filters: w(m.branch1x1), kernelSize: 1 }, seeds);
  let tower2 = convBn(x, `${name}_3x3_reduce`, { filters: w(m.branch3x3Reduce), kernelSize: 1 }, seeds);
  tower2 = convBn(tower2, `${name}_3x3`, { filters: w(m.branch3x3), kernelSize: 3 }, seeds);
  let tower3 = convBn(x, `${name}_double_reduce`, { filters: w(m.branchDoubleReduce), kernelSize: 1 }, seeds);
  tower3 = convBn(tower3, `${name}_double_a`, { filters: w(m.branchDouble), kernelSize: 3 }, seeds);
  tower3 = convBn(tower3, `${name}_double_b`, { filters: w(m.branchDouble), kernelSize: 3 }, seeds);
  let tower4 = tf.layers.maxPooling2d({ name: `${name}_tower_pool`, poolSize: 3, strides: 1, padding: 'same' }).apply(x) as tf.SymbolicTensor;
  tower4 = convBn(tower4, `${name}_pool_proj`, { filters: w(m.branchPool), kernelSize: 1 }, seeds);
  return tf.layers.concatenate({ name: `${name}_concat`, axis: -1 }).apply([tower1, tower2, tower3, tower4]) as tf.SymbolicTensor;
}

/** A small Inception network: a stem, two inception modules with pooling between, classifier. */
export function inceptionMini(options: ZooOptions, seeds: InitSeeds): tf.LayersModel {
  const x = input(options.inputShape);
  let h = convBn(x, 'stem', { filters: scaledWidth(32, options.width), kernelSize: 3 }, seeds);
  h = tf.layers.maxPooling2d({ name: 'stem_pool', poolSize: 2 }).apply(h) as tf.SymbolicTensor;
  h = inceptionModule(h, 'mixed1', MODULES[0], options.width, seeds);
  h = tf.layers.maxPooling2d({ name: 'pool1', poolSize: 2 }).apply(h) as tf.SymbolicTensor;
  h = inceptionModule(h, 'mixed2', MODULES[1], options.width, seeds);
  return tf.model({ inputs: x, outputs: classifier(h, options.classes, seeds), name: 'inception_mini' });
}

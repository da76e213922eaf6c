import type * as tf from '@tensorflow/tfjs';
import { describeValue, modelError, usageError } from '../../errors.js';
import { cnn } from './cnn.js';
import { inceptionMini } from './inception-mini.js';
import { mlp } from './mlp.js';
import { mobilenetV1 } from './mobilenet-v1.js';
import { mobilenetV2 } from './mobilenet-v2.js';
import type { ZooOptions } from './options.js';
import { InitSeeds } from './blocks.js';
import { cifarResnet, smallResnet } from './resnet.js';
import { vgg16 } from './vgg16.js';

interface ZooEntry {
  description: string;
  defaults: ZooOptions;
  /** Builds the model; its initializers take their seeds from `seeds` in build order. */
  build: (options: ZooOptions, seeds: InitSeeds) => tf.LayersModel;
}

const MNIST = { width: 1, inputShape: [28, 28, 1], classes: 10 };
const CIFAR = { width: 1, inputShape: [32, 32, 3], classes: 10 };
const IMAGENET = { width: 1, inputShape: [224, 224, 3], classes: 1000 };

export const ZOO: Record<string, ZooEntry> = {
  mlp: { description: 'two hidden dense layers with BN, for 28x28 digits', defaults: MNIST, build: mlp },
  cnn: { description: 'conv-BN-ReLU x3 (32, 64/2, 128/2), for 28x28 digits', defaults: MNIST, build: cnn },
  resnet20: { description: 'CIFAR ResNet-20', defaults: CIFAR, build: (o, seeds) => cifarResnet(o, 20, seeds) },
  resnet56: { description: 'CIFAR ResNet-56', defaults: CIFAR, build: (o, seeds) => cifarResnet(o, 56, seeds) },
  'resnet-small': { description: 'conv 64 + two basic blocks at 64 channels, full resolution', defaults: CIFAR, build: smallResnet },
  'mobilenet-v1': { description: 'MobileNetV1 (alpha = width)', defaults: IMAGENET, build: mobilenetV1 },
  'mobilenet-v2': { description: 'MobileNetV2 (alpha = width)', defaults: IMAGENET, build: mobilenetV2 },
  'inception-mini': { description: 'two inception modules (4 towers joined by Concatenate)', defaults: CIFAR, build: inceptionMini },
  vgg16: { description: 'VGG-16 with BN, CIFAR classifier', defaults: CIFAR, build: vgg16 },
};

const OPTION_KEYS = ['width', 'inputShape', 'classes'] as const;

function parseOption(name: string, key: string, value: unknown): number | number[] {
  const asNumbers = (text: unknown) => (Array.isArray(text) ? text.map(Number) : String(text).split(/[,x]/).map(Number));
  if (key === 'inputShape') {
    const shape = asNumbers(value);
    if (shape.length < 1 || shape.some((d) => !Number.isInteger(d) || d <= 0)) {
      throw usageError(`zoo:${name} option inputShape: expected positive integers like 32,32,3, received ${describeValue(value)}`, 'give height,width,channels');
    }
    return shape;
  }
  const number = Number(value);
  const valid = key === 'classes' ? Number.isInteger(number) && number >= 1 : number > 0 && Number.isFinite(number);
  if (!valid) {
    throw usageError(
      `zoo:${name} option ${key}: expected ${key === 'classes' ? 'a positive integer' : 'a positive number'}, received ${describeValue(value)}`,
      `e.g. zoo:${name}?${key}=${key === 'classes' ? 10 : 0.5}`,
    );
  }
  return number;
}

/** Resolves zoo options from defaults and user values (from `zoo:NAME?k=v` or `model.options`). */
export function zooOptions(name: string, given: Record<string, unknown> = {}): ZooOptions {
  const entry = ZOO[name];
  if (!entry) {
    throw modelError(`unknown zoo model "${name}"; available: ${Object.keys(ZOO).join(', ')}`, 'pick one of the names above, e.g. zoo:cnn');
  }
  const options: ZooOptions = { ...entry.defaults, inputShape: [...entry.defaults.inputShape] };
  for (const [key, value] of Object.entries(given)) {
    if (!(OPTION_KEYS as readonly string[]).includes(key)) {
      throw usageError(`zoo:${name} has no option "${key}" (received ${describeValue(value)}); options are ${OPTION_KEYS.join(', ')}`, `e.g. zoo:${name}?width=0.5`);
    }
    (options as unknown as Record<string, unknown>)[key] = parseOption(name, key, value);
  }
  return options;
}

/** Builds a zoo model; the same seed gives the same initial weights in every process. */
export function buildZooModel(name: string, given: Record<string, unknown> = {}, seed = 1): tf.LayersModel {
  const options = zooOptions(name, given);
  const model = ZOO[name].build(options, new InitSeeds(seed));
  refuseEmptyOutputs(name, options, model);
  return model;
}

/**
 * A spatial size too small for the architecture's strides makes tfjs build layers with empty
 * outputs (VGG-16's fifth pooling of a 16x16 input: 0x0) that train on nothing; refuse them.
 */
function refuseEmptyOutputs(name: string, options: ZooOptions, model: tf.LayersModel): void {
  for (const layer of model.layers) {
    const shape = layer.outputShape as (number | null)[];
    if (!shape.some((d) => d === 0)) continue;
    const [height, width] = options.inputShape;
    throw usageError(
      `zoo:${name} option inputShape: ${options.inputShape.join(',')} is too small for this architecture: layer ${layer.name} would output [${shape.slice(1).join(', ')}]`,
      `give a larger inputShape (e.g. ${height * 2},${width * 2},${options.inputShape.slice(2).join(',')}), or a model for small pictures such as zoo:cnn`,
    );
  }
}

/** Parses `zoo:NAME?width=0.5&classes=10` into a name and raw options. */
export function parseZooSpec(spec: string): { name: string; options: Record<string, string> } {
  const [name, query = ''] = spec.replace(/^zoo:/, '').split('?');
  return { name, options: Object.fromEntries(new URLSearchParams(query)) };
}

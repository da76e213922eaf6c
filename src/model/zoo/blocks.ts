import * as tf from '@tensorflow/tfjs';

/** Shared building blocks of the zoo: explicit layer names keep structure files stable. */

/**
 * Seeds for the initializers of one model being built, handed out in build order from
 * seed x 1000, so a zoo model is the same for the same seed in every process (a resumed run and
 * an uninterrupted one start from the same weights). Each build gets its own.
 */
export class InitSeeds {
  private next: number;

  constructor(seed: number) {
    this.next = seed * 1000;
  }

  kernel(kind: 'heNormal' | 'glorotUniform') {
    const seed = this.next++;
    return kind === 'heNormal' ? tf.initializers.heNormal({ seed }) : tf.initializers.glorotUniform({ seed });
  }
}

export type Activation = 'relu' | 'relu6' | 'none';

export function scaledWidth(channels: number, width: number): number {
  return Math.max(1, Math.round(channels * width));
}

/** MobileNet's rule: round to the nearest multiple of `divisor`, never below 90% of the target. */
export function makeDivisible(value: number, divisor = 8): number {
  const rounded = Math.max(divisor, Math.floor((value + divisor / 2) / divisor) * divisor);
  return rounded < 0.9 * value ? rounded + divisor : rounded;
}

export function activation(x: tf.SymbolicTensor, kind: Activation, name: string): tf.SymbolicTensor {
  if (kind === 'none') return x;
  const layer = kind === 'relu6' ? tf.layers.reLU({ maxValue: 6, name }) : tf.layers.reLU({ name });
  return layer.apply(x) as tf.SymbolicTensor;
}

export function batchNorm(x: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  return tf.layers.batchNormalization({ name, scale: true, center: true, epsilon: 1e-3, momentum: 0.9 }).apply(x) as tf.SymbolicTensor;
}

export interface ConvOptions {
  filters: number;
  kernelSize: number;
  strides?: number;
  activation?: Activation;
  padding?: 'same' | 'valid';
}

/** Conv2D (no bias) -> BatchNormalization (scale) -> activation, named `${name}`, `${name}_bn`, `${name}_relu`. */
export function convBn(x: tf.SymbolicTensor, name: string, options: ConvOptions, seeds: InitSeeds): tf.SymbolicTensor {
  const conv = tf.layers.conv2d({
    name,
    filters: options.filters,
    kernelSize: options.kernelSize,
    strides: options.strides ?? 1,
    padding: options.padding ?? 'same',
    useBias: false,
    kernelInitializer: seeds.kernel('heNormal'),
  });
  const normalized = batchNorm(conv.apply(x) as tf.SymbolicTensor, `${name}_bn`);
  return activation(normalized, options.activation ?? 'relu', `${name}_relu`);
}

/** DepthwiseConv2D (no bias) -> BN -> activation. */
export function depthwiseBn(x: tf.SymbolicTensor, name: string, strides: number, kind: Activation, seeds: InitSeeds, depthMultiplier = 1): tf.SymbolicTensor {
  const conv = tf.layers.depthwiseConv2d({ name, kernelSize: 3, strides, padding: 'same', useBias: false, depthMultiplier, depthwiseInitializer: seeds.kernel('glorotUniform') });
  return activation(batchNorm(conv.apply(x) as tf.SymbolicTensor, `${name}_bn`), kind, `${name}_relu`);
}

export function classifier(x: tf.SymbolicTensor, classes: number, seeds: InitSeeds, name = 'predictions'): tf.SymbolicTensor {
  const pooled = x.shape.length === 4 ? (tf.layers.globalAveragePooling2d({ name: 'global_pool' }).apply(x) as tf.SymbolicTensor) : x;
  return tf.layers.dense({ name, units: classes, activation: 'softmax', kernelInitializer: seeds.kernel('glorotUniform') }).apply(pooled) as tf.SymbolicTensor;
}

export function input(shape: number[]): tf.SymbolicTensor {
  return tf.input({ shape, name: 'input' });
}

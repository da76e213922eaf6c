import { conv2D, conv2DTranspose, dense, depthwiseConv2D, separableConv2D } from './convolution.js';
import { batchNormalization, concatenate, elementwiseMerge, elementwiseMergeOfAllInputs, flatten, inputLayer, layerNormalization, passthrough, reshape } from './elementwise.js';
import type { LayerHandler } from './handler.js';

const PASSTHROUGH_CLASSES = [
  'Activation', 'ReLU', 'LeakyReLU', 'Softmax', 'ELU', 'ThresholdedReLU',
  'Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout',
  'MaxPooling2D', 'AveragePooling2D', 'GlobalAveragePooling2D', 'GlobalMaxPooling2D',
  'ZeroPadding2D', 'Cropping2D', 'UpSampling2D',
];

/**
 * Every Keras layer class morphnet understands. A class not listed here is a barrier: its
 * channels are kept at full width and named in the output.
 */
export const LAYER_HANDLERS: Record<string, LayerHandler> = {
  InputLayer: inputLayer,
  Conv2D: conv2D,
  Conv2DTranspose: conv2DTranspose,
  DepthwiseConv2D: depthwiseConv2D,
  SeparableConv2D: separableConv2D,
  Dense: dense,
  BatchNormalization: batchNormalization,
  LayerNormalization: layerNormalization,
  Add: elementwiseMerge,
  Subtract: elementwiseMergeOfAllInputs,
  Multiply: elementwiseMergeOfAllInputs,
  Average: elementwiseMerge,
  Maximum: elementwiseMerge,
  Minimum: elementwiseMerge,
  Concatenate: concatenate,
  Flatten: flatten,
  Reshape: reshape,
  ...Object.fromEntries(PASSTHROUGH_CLASSES.map((name) => [name, passthrough])),
};

export function handlerFor(className: string): LayerHandler | undefined {
  return LAYER_HANDLERS[className];
}

import * as tf from '@tensorflow/tfjs';
import type { Rgba } from './decode.js';

/** ITU-R 601 luma weights, for models that take one channel. */
const LUMA = [0.299, 0.587, 0.114];

/**
 * An image of another size as [height, width, channels] float values in [0, 255]: RGB (or its
 * luma) resized bilinearly by tf.image.resizeBilinear with half-pixel centers (TF2's
 * tf.image.resize, as Keras's image_dataset_from_directory resizes).
 */
function resizedValues(image: Rgba, height: number, width: number, channels: number): Float32Array {
  return tf.tidy(() => {
    const rgba = tf.tensor3d(Float32Array.from(image.data), [image.height, image.width, 4]);
    const rgb = rgba.slice([0, 0, 0], [image.height, image.width, 3]);
    const sized = tf.image.resizeBilinear(rgb, [height, width], false, true);
    return (channels === 1 ? sized.mul(tf.tensor1d(LUMA)).sum(-1, true) : sized).dataSync() as Float32Array;
  });
}

/** An image already of the model's size: its RGB (or luma) values as they are, no tensor round trip. */
function writeAsIs(image: Rgba, channels: number, out: Float32Array, offset: number): void {
  const { data } = image;
  for (let p = 0, q = offset; p < data.length; p += 4, q += channels) {
    if (channels === 1) out[q] = LUMA[0] * data[p] + LUMA[1] * data[p + 1] + LUMA[2] * data[p + 2];
    else {
      out[q] = data[p];
      out[q + 1] = data[p + 1];
      out[q + 2] = data[p + 2];
    }
  }
}

/** The images at the model's input shape, one after another into `out` (at `offset` values). */
export function writeModelInputs(images: Rgba[], shape: number[], out: Float32Array, offset = 0): void {
  const [height, width, channels] = shape;
  const size = height * width * channels;
  images.forEach((image, i) => {
    if (image.height === height && image.width === width) writeAsIs(image, channels, out, offset + i * size);
    else out.set(resizedValues(image, height, width, channels), offset + i * size);
  });
}

import { seededRandom } from './random.js';

/** data.augment: what Keras users add for small image datasets, on training batches only. */
export interface AugmentOptions {
  /** Random crop of the input size from the image zero-padded by this many pixels on each side (0: none). */
  crop?: number;
  /** Mirror left-right with probability 1/2. */
  flip?: boolean;
}

/** The generator of one training batch's augmentation: fixed by seed, epoch and batch, so a resumed run draws the same. */
export function augmentRandom(seed: number, epoch: number, batchInEpoch: number): () => number {
  return seededRandom((seed * 2_654_435_761 + epoch * 40_503 + batchInEpoch * 97) >>> 0);
}

/**
 * Augments a batch of [height, width, channels] samples in place. A crop of N is a shift of
 * (dy, dx), each uniform in [-N, N], with zeros where the shift uncovers the border: the same as
 * taking a random height x width window of the image zero-padded by N (Keras's ZeroPadding2D +
 * RandomCrop, torchvision's RandomCrop(padding=N)). The padding is zero in the model's input
 * values (after normalisation).
 */
export function augmentBatch(values: Float32Array, shape: number[], options: AugmentOptions, random: () => number): void {
  const [height, width, channels] = shape;
  const size = height * width * channels;
  const crop = options.crop ?? 0;
  const source = new Float32Array(size);
  for (let offset = 0; offset < values.length; offset += size) {
    const dy = crop ? Math.floor(random() * (2 * crop + 1)) - crop : 0;
    const dx = crop ? Math.floor(random() * (2 * crop + 1)) - crop : 0;
    const flip = options.flip ? random() < 0.5 : false;
    if (dy === 0 && dx === 0 && !flip) continue;
    source.set(values.subarray(offset, offset + size));
    for (let y = 0; y < height; y++) {
      const sy = y + dy;
      for (let x = 0; x < width; x++) {
        const sx = (flip ? width - 1 - x : x) + dx;
        const to = offset + (y * width + x) * channels;
        const inside = sy >= 0 && sy < height && sx >= 0 && sx < width;
        for (let c = 0; c < channels; c++) values[to + c] = inside ? source[(sy * width + sx) * channels + c] : 0;
      }
    }
  }
}

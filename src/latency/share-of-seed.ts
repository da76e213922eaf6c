import type * as tf from '@tensorflow/tfjs';
import type { ChannelAnalysis } from '../graph/channel-groups.js';
import type { GroupWidths } from '../structure/width-multiplier.js';
import { rebuildModel } from '../surgery/rebuild.js';
import { sampleModelPaired } from './model-runs.js';
import { type PairedProtocol, quartilesOf } from './timing.js';

/** A structure of the seed, rebuilt at `widths` and timed in pairs with it: the median of the per-pair ratios, its share of the seed's time. */
export async function measuredShareOfSeed(seed: tf.LayersModel, analysis: ChannelAnalysis, widths: GroupWidths, batch: number, protocol: PairedProtocol): Promise<number> {
  const structure = await rebuildModel(seed, analysis, widths, 1);
  try {
    return quartilesOf(sampleModelPaired(structure, seed, batch, protocol).ratios).medianMs;
  } finally {
    structure.dispose();
  }
}

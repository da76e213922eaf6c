import * as tf from '@tensorflow/tfjs';
import type { CostModel, CostOptions, Resource } from '../cost/cost-model.js';
import { groupScores, referenceScale } from './channel-scores.js';
import { openProbability } from './gates.js';
import type { GroupSources, SourceKind } from './sources.js';

export interface RegularizerOptions {
  /** gates: each group's single source is a ChannelGate's logits, scored by its open probability (gates.ts). */
  kind: SourceKind | 'gates';
  target: Resource;
  threshold: number;
  l1Fraction: number;
  costOptions: CostOptions;
}

/**
 * MorphNet's network regularizer: R = sum over groups of sum_c weight[c] * score[c], where the
 * weights are the target resource's cost function in differentiable form (CostModel) with the
 * current alive counts as constants, and scores are the groups' channel scores. Grouped channels
 * share one score (max) and die together.
 *
 * Scores are in units of each source's seed scale (`referenceScale`, read when the regularizer is
 * built, so build it from the seed, before a checkpoint is restored): gammas as they are,
 * group-lasso norms divided by the mean norm of their layer in the seed. The threshold applies to
 * these scores.
 */
export class NetworkRegularizer {
  private alive: Float64Array;
  private weightTensors: tf.Tensor1D[] = [];
  /** For each group, the reference scale of each of its sources (`groups[i].sources[k]`). */
  readonly scales: number[][];

  constructor(
    readonly costModel: CostModel,
    readonly groups: GroupSources[],
    readonly options: RegularizerOptions,
  ) {
    const kind = options.kind;
    this.scales = groups.map((entry) => entry.sources.map((source) => (kind === 'gates' ? 1 : referenceScale(source, kind, options.l1Fraction))));
    this.alive = costModel.allAlive();
    this.refreshWeights();
  }

  /** Scores of every regularized group, in `groups` order (differentiable). */
  groupScoreTensors(): tf.Tensor1D[] {
    const kind = this.options.kind;
    if (kind === 'gates') return this.groups.map((entry) => openProbability(entry.sources[0].variable.read() as tf.Tensor1D));
    return this.groups.map((entry, i) => groupScores(entry, kind, this.options.l1Fraction, this.scales[i]));
  }

  /** R(theta), unscaled; call inside a gradient tape. */
  penalty(): tf.Scalar {
    return tf.tidy(() => {
      const terms = this.groupScoreTensors().map((scores, i) => tf.sum(tf.mul(scores, this.weightTensors[i])));
      return tf.addN(terms) as tf.Scalar;
    });
  }

  /** Current channel scores, one array per regularized group. */
  readScores(): Float32Array[] {
    const scores = tf.tidy(() => tf.concat(this.groupScoreTensors()));
    const flat = scores.dataSync() as Float32Array;
    scores.dispose();
    const out: Float32Array[] = [];
    let offset = 0;
    for (const entry of this.groups) {
      out.push(flat.slice(offset, offset + entry.group.width));
      offset += entry.group.width;
    }
    return out;
  }

  /** Re-derives alive channels from scores (score > threshold) and the regularizer weights from them. */
  updateAlive(scores: Float32Array[] = this.readScores()): Float64Array {
    return this.setAlive(scores.map((group) => Array.from(group, (score) => (score > this.options.threshold ? 1 : 0))));
  }

  /** Sets which regularized channels are alive (1) or dead (0), one array per group, and the regularizer weights from them. */
  setAlive(aliveByGroup: ArrayLike<number>[]): Float64Array {
    let changed = false;
    this.groups.forEach((entry, i) => {
      entry.group.components.forEach((component, k) => {
        const alive = aliveByGroup[i][k];
        if (this.alive[component] !== alive) changed = true;
        this.alive[component] = alive;
      });
    });
    // The weights depend on the alive counts only: most steps change nothing.
    if (changed) this.refreshWeights();
    return this.alive;
  }

  /**
   * The cost of the target resource with each regularized channel counted by a share in [0, 1],
   * one array per group, the other components as they are (nothing is updated; the cost
   * functions take fractional counts).
   */
  costAtShares(shares: ArrayLike<number>[]): number {
    const alive = Float64Array.from(this.alive);
    this.groups.forEach((entry, i) => {
      entry.group.components.forEach((component, k) => {
        alive[component] = shares[i][k];
      });
    });
    return this.costModel.resource(this.options.target, alive, this.options.costOptions);
  }

  aliveComponents(): Float64Array {
    return this.alive;
  }

  /** The monitored cost of the target resource at the current alive channels. */
  cost(): number {
    return this.costModel.resource(this.options.target, this.alive, this.options.costOptions);
  }

  dispose(): void {
    tf.dispose(this.weightTensors);
    this.weightTensors = [];
  }

  private refreshWeights(): void {
    const weights = this.costModel.regularizationWeights(this.options.target, this.alive, this.options.costOptions);
    tf.dispose(this.weightTensors);
    this.weightTensors = this.groups.map((entry) => tf.tensor1d(Float32Array.from(entry.group.components, (c) => weights[c])));
  }
}

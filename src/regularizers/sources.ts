import type * as tf from '@tensorflow/tfjs';
import type { ChannelAnalysis, ChannelGroup } from '../graph/channel-groups.js';
import { handlerFor } from '../graph/handlers/registry.js';

export type SourceKind = 'gamma' | 'group-lasso';

/** A weight whose per-channel magnitude scores the channels of one group. */
export interface ScoreSource {
  nodeId: string;
  variable: tf.LayerVariable;
  /** For each group channel (canonical order), the variable's channel indices (several for depthwise m > 1). */
  channels: number[][];
}

export interface GroupSources {
  group: ChannelGroup;
  sources: ScoreSource[];
}

export interface SourceSearch {
  regularized: GroupSources[];
  /** Prunable groups with no source: they stay at full width. */
  unscored: ChannelGroup[];
  /** BatchNormalization layers without a trainable scale (gamma), which the gamma regularizer cannot use. */
  batchNormsWithoutScale: string[];
}

function weightNamed(layer: tf.layers.Layer, suffix: string): tf.LayerVariable | undefined {
  return layer.weights.find((w) => w.originalName.endsWith(`/${suffix}`) || w.name.endsWith(`/${suffix}`));
}

/**
 * Finds the weights that score each prunable group. gamma: the scale of every BatchNormalization
 * in the group (MorphNet's gamma source). group-lasso: the kernel of every layer that creates the
 * group's channels (conv, dense, separable pointwise).
 */
export function findSources(analysis: ChannelAnalysis, kind: SourceKind): SourceSearch {
  const regularized: GroupSources[] = [];
  const unscored: ChannelGroup[] = [];
  const batchNormsWithoutScale: string[] = [];
  for (const group of analysis.groups) {
    if (group.fixed) continue;
    const sources: ScoreSource[] = [];
    for (const member of group.members) {
      const node = analysis.graph.byId.get(member.nodeId)!;
      if (kind === 'gamma' && node.className === 'BatchNormalization') {
        const gamma = node.config.scale === false ? undefined : weightNamed(node.layer, 'gamma');
        if (gamma?.trainable) sources.push({ nodeId: node.id, variable: gamma, channels: member.channels });
        else batchNormsWithoutScale.push(node.id);
      }
      if (kind === 'group-lasso' && handlerFor(node.className)?.ownsChannels) {
        const kernel = weightNamed(node.layer, node.className === 'SeparableConv2D' ? 'pointwise_kernel' : 'kernel');
        if (kernel?.trainable) sources.push({ nodeId: node.id, variable: kernel, channels: member.channels });
      }
    }
    if (sources.length > 0) regularized.push({ group, sources });
    else unscored.push(group);
  }
  return { regularized, unscored, batchNormsWithoutScale };
}

import type * as tf from '@tensorflow/tfjs';
import type { ChannelAnalysis, ChannelGroup } from '../graph/channel-groups.js';
import { weightShortName, type ScoreKind } from '../graph/handlers/handler.js';
import { handlerFor } from '../graph/handlers/registry.js';
import type { GraphNode } from '../graph/types.js';

export type SourceKind = ScoreKind;

/** A weight whose per-channel magnitude scores the channels of one group. */
export interface ScoreSource {
  nodeId: string;
  variable: tf.LayerVariable;
  /** The variable's axis that follows the layer's output channels (its handler's `weightAxes`); the last when not given (a 1-D weight). */
  axis?: number;
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
  /** Layers whose handler names a source weight for the gamma kind that is absent or frozen (BatchNormalization with `scale: false`). */
  batchNormsWithoutScale: string[];
}

function weightNamed(layer: tf.layers.Layer, name: string): tf.LayerVariable | undefined {
  return layer.weights.find((w) => weightShortName(w.originalName) === name);
}

/** The layer's source weight for `kind` as its handler names it, with its output axis; `missing` when the layer has it absent or frozen. */
function sourceOf(node: GraphNode, kind: SourceKind): { variable: tf.LayerVariable; axis: number } | 'missing' | undefined {
  const handler = handlerFor(node.className);
  const name = handler?.scoreSource?.(node, kind);
  if (!handler || !name) return undefined;
  const variable = weightNamed(node.layer, name);
  if (!variable?.trainable) return 'missing';
  const axis = handler.weightAxes?.(node)[name]?.out;
  if (axis === undefined) throw new Error(`the ${node.className} handler names "${name}" as its ${kind} source but gives it no output axis`);
  return { variable, axis };
}

/**
 * Finds the weights that score each prunable group, as the members' handlers name them
 * (`scoreSource`). gamma: the scale of every BatchNormalization in the group (MorphNet's gamma
 * source). group-lasso: the kernel of every layer that creates the group's channels (conv, dense,
 * separable pointwise).
 */
export function findSources(analysis: ChannelAnalysis, kind: SourceKind): SourceSearch {
  const regularized: GroupSources[] = [];
  const unscored: ChannelGroup[] = [];
  const withoutSource: string[] = [];
  for (const group of analysis.groups) {
    if (group.fixed) continue;
    const sources: ScoreSource[] = [];
    for (const member of group.members) {
      const node = analysis.graph.byId.get(member.nodeId)!;
      const source = sourceOf(node, kind);
      if (source === 'missing') withoutSource.push(node.id);
      else if (source) sources.push({ nodeId: node.id, ...source, channels: member.channels });
    }
    if (sources.length > 0) regularized.push({ group, sources });
    else unscored.push(group);
  }
  // A frozen kernel under group-lasso is passed over silently, as before: only gamma reports.
  return { regularized, unscored, batchNormsWithoutScale: kind === 'gamma' ? withoutSource : [] };
}

import * as tf from '@tensorflow/tfjs';
import { seededRandom } from '../data/random.js';
import { MorphnetError, modelError } from '../errors.js';
import type { ChannelAnalysis, ChannelGroup } from '../graph/channel-groups.js';
import { channelCount, type GraphNode, type LayerGraph } from '../graph/types.js';
import { ChannelGate, logisticNoise } from '../regularizers/gates.js';
import type { SourceSearch } from '../regularizers/sources.js';
import { loadCheckpointWeights } from '../train/checkpoint.js';

/**
 * The shrink stage's model for `shrink.regularizer: gates`: the seed's own layers (so its weights
 * are trained in place) applied again in a flat functional model, with a ChannelGate after the
 * producers of each prunable group. The seed model itself is left as it was: saving it, the
 * structure, retrain and export never see a gate.
 */
export interface GatedModel {
  model: tf.LayersModel;
  /**
   * The regularizer's groups: in `regularized`, each gated group with the gate's logits as its
   * single source, in the group's channel order; in `unscored`, prunable groups left without a
   * gate (no trainable producer), which stay at full width.
   */
  search: SourceSearch;
  gates: ChannelGate[];
  /** Draws the logistic noise of `step` into every gate (seeded: a resumed run draws the same). */
  sampleNoise(step: number): void;
  /** Releases the gates' logits and noise (the seed's weights stay). */
  dispose(): void;
}

/** The gate layer name of a group (unique in the gated model). */
export const gateName = (group: ChannelGroup) => `morphnet_gate_${group.id}`;

function consumersOf(graph: LayerGraph): Map<string, GraphNode[]> {
  const consumers = new Map<string, GraphNode[]>(graph.nodes.map((node) => [node.id, []]));
  for (const node of graph.nodes) for (const input of new Set(node.inputs)) consumers.get(input)!.push(node);
  return consumers;
}

/** Whether `node` carries the group's channels as they are, channel k at index k (one copy each). */
function carriesGroupInOrder(group: ChannelGroup, node: GraphNode): boolean {
  const member = group.members.find((m) => m.nodeId === node.id);
  return member !== undefined && channelCount(node.outputShape) === group.width && member.channels.every((channels, k) => channels.length === 1 && channels[0] === k);
}

/**
 * Where a source's channels get their gate: after the chain of single-input layers that carry
 * them unchanged (BN, activation, dropout, pooling) up to the first layer that mixes them with
 * others (an Add, a Concatenate, a conv). A gate after BN keeps a closed channel at zero: BN
 * after a gate would renormalize it into its offset.
 */
function gatePoint(group: ChannelGroup, source: GraphNode, consumers: Map<string, GraphNode[]>): string {
  if (!carriesGroupInOrder(group, source)) {
    throw modelError(`layer "${source.id}" orders its channels unlike the rest of its group (${group.sources.join(', ')}), which shrink.regularizer: gates cannot gate`, 'use shrink.regularizer: gamma or group-lasso for this model');
  }
  let at = source;
  for (;;) {
    const next = consumers.get(at.id)!;
    if (next.length !== 1 || next[0].inputs.length !== 1 || !carriesGroupInOrder(group, next[0])) return at.id;
    at = next[0];
  }
}

/** For each gated group, the nodes after which its gate goes; groups without a trainable producer are left out. */
export function findGatePoints(analysis: ChannelAnalysis): { points: Map<ChannelGroup, string[]>; ungated: ChannelGroup[] } {
  const consumers = consumersOf(analysis.graph);
  const points = new Map<ChannelGroup, string[]>();
  const ungated: ChannelGroup[] = [];
  for (const group of analysis.groups) {
    if (group.fixed) continue;
    const sources = group.sources.map((id) => analysis.graph.byId.get(id)!);
    if (sources.length === 0 || !sources.every((node) => node.trainable)) ungated.push(group);
    else points.set(group, sources.map((source) => gatePoint(group, source, consumers)));
  }
  return { points, ungated };
}

/** The seed's layers applied in graph order to a fresh input, with `gateAfter[node]` applied to the node's output. */
function applyWithGates(seed: tf.LayersModel, graph: LayerGraph, gateAfter: Map<string, ChannelGate>): tf.LayersModel {
  const input = tf.input({ shape: seed.inputs[0].shape.slice(1) as number[], dtype: seed.inputs[0].dtype, name: 'morphnet_gated_input' });
  const outputs = new Map<string, tf.SymbolicTensor>([[graph.inputIds[0], input]]);
  for (const node of graph.nodes) {
    if (node.id === graph.inputIds[0]) continue;
    const inputs = node.inputs.map((id) => outputs.get(id)!);
    const output = node.layer.apply(inputs.length === 1 ? inputs[0] : inputs) as tf.SymbolicTensor;
    const gate = gateAfter.get(node.id);
    outputs.set(node.id, gate ? (gate.apply(output) as tf.SymbolicTensor) : output);
  }
  try {
    return tf.model({ inputs: input, outputs: graph.outputIds.map((id) => outputs.get(id)!), name: `${seed.name}_gated` });
  } catch (error) {
    throw modelError(`shrink.regularizer: gates cannot flatten ${seed.name} into one model: ${(error as Error).message}`, 'use shrink.regularizer: gamma or group-lasso for this model');
  }
}

/** A seeded stream per step: the same noise at the same step, whether or not the run was resumed. */
function noiseStream(seed: number, step: number): () => number {
  return seededRandom((Math.imul(seed + 1, 0x9e3779b1) ^ Math.imul(step + 1, 0x85ebca6b)) >>> 0);
}

/** Builds the gated model of `seed` (see GatedModel); `seed` gives the gates' noise. */
export function insertGates(model: tf.LayersModel, analysis: ChannelAnalysis, seed: number): GatedModel {
  const { points, ungated } = findGatePoints(analysis);
  if (points.size === 0) {
    throw new MorphnetError('config', `shrink.regularizer: gates finds no prunable group to gate in ${model.name}`, 'the model has no prunable layers with trainable weights');
  }
  const gateAfter = new Map<string, ChannelGate>();
  const entries = [...points].map(([group, nodes]) => {
    const gate = new ChannelGate({ name: gateName(group) });
    for (const node of nodes) gateAfter.set(node, gate);
    return { group, gate };
  });
  const gated = applyWithGates(model, analysis.graph, gateAfter);
  const gates = entries.map((entry) => entry.gate);
  return {
    model: gated,
    gates,
    search: {
      regularized: entries.map(({ group, gate }) => ({ group, sources: [{ nodeId: gate.name, variable: gate.logits, channels: group.components.map((_, k) => [k]) }] })),
      unscored: ungated,
      batchNormsWithoutScale: [],
    },
    sampleNoise: (step) => {
      const random = noiseStream(seed, step);
      for (const gate of gates) gate.setNoise(logisticNoise(Array.from({ length: gate.logits.shape[0]! }, random)));
    },
    dispose: () => gates.forEach((gate) => gate.dispose()),
  };
}

/**
 * Loads the checkpoint of a gated shrink into `seed` (through its gated model, whose weights the
 * checkpoint holds: the seed's, shared, and the gates' logits) and folds the deterministic gates
 * into the channels `kept` (per group, canonical indices). A kept channel was alive, so its gate
 * is open, 1 (the first channel's always is), and folding leaves its weights as they are: the
 * evaluation gate is the reference's mask (logit > 0), without its optional soft factor
 * sigmoid(logit). A dead channel is sliced away. False when there is no checkpoint.
 */
export function loadGatedShrinkWeights(checkpointDir: string, seed: tf.LayersModel, analysis: ChannelAnalysis, kept: number[][]): boolean {
  const gated = insertGates(seed, analysis, 0);
  try {
    if (!loadCheckpointWeights(checkpointDir, gated.model)) return false;
    gated.search.regularized.forEach(({ group, sources }) => {
      const open = sources[0].variable.read().dataSync();
      const closed = kept[group.id].filter((k) => k > 0 && !(open[k] > 0));
      if (closed.length > 0) {
        throw modelError(
          `the structure keeps channels ${closed.join(', ')} of ${group.sources.join(', ')}, whose gates closed in shrink (logit <= 0)`,
          'keep only channels alive at the end of shrink: rerun expand from the shrink structure, or retrain with --init scratch',
        );
      }
    });
    return true;
  } finally {
    gated.dispose();
  }
}

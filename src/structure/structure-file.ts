import type { CostModel, CostOptions } from '../cost/cost-model.js';
import type { ChannelAnalysis } from '../graph/channel-groups.js';
import { handlerFor } from '../graph/handlers/registry.js';
import { structureTopology } from './topology.js';

export const STRUCTURE_FORMAT = 'morphnet.structure/1';

export interface StructureGroup {
  id: number;
  layers: string[];
  original: number;
  width: number;
  /** Surviving channel indices, in the order of the group's first layer's channels. */
  kept: number[];
  fixed?: boolean;
}

export interface StructureCost {
  flops: number;
  macs: number;
  params: number;
  totalParams: number;
  activations: number;
  latency?: number;
}

/** The structure file of DESIGN.md: widths per group and per layer, and the cost of the structure. */
export interface StructureFile {
  format: typeof STRUCTURE_FORMAT;
  model: string;
  step: number;
  groups: StructureGroup[];
  /** Width of every layer that owns output channels (MorphNet's alive-count file), sorted by name. */
  widths: Record<string, number>;
  cost: StructureCost;
}

/**
 * The structure of a network with the given channel components alive (0/1, or fractions for
 * widths other than the seed's), costed as the rebuilt model will be: groups left without a
 * producer count 0 and removed layers cost nothing.
 */
export function buildStructure(
  analysis: ChannelAnalysis,
  costModel: CostModel,
  alive: Float64Array,
  info: { model: string; step: number; costOptions?: CostOptions },
): StructureFile {
  const isAlive = (component: number) => analysis.componentFixed[component] === 1 || alive[component] > 0;
  const kept = analysis.groups.map((group) => group.components.flatMap((component, index) => (isAlive(component) ? [index] : [])));
  const topology = structureTopology(analysis, kept.map((k) => k.length));
  const effectiveAlive = Float64Array.from(alive, (value, component) => (topology.widths[analysis.componentGroup[component]] === 0 ? 0 : value));
  const groups: StructureGroup[] = analysis.groups.map((group) => ({
    id: group.id,
    layers: group.members.map((m) => m.nodeId),
    original: group.width,
    width: topology.widths[group.id] === 0 ? 0 : kept[group.id].length,
    kept: topology.widths[group.id] === 0 ? [] : kept[group.id],
    ...(group.fixed ? { fixed: true } : {}),
  }));
  const widths: Record<string, number> = {};
  const owners = analysis.graph.nodes.filter((node) => handlerFor(node.className)?.ownsChannels).map((node) => node.id).sort();
  for (const id of owners) {
    widths[id] = topology.excluded.has(id) ? 0 : Math.round(Array.from(analysis.outputComponents.get(id)!).reduce((sum, c) => sum + (analysis.componentFixed[c] ? 1 : effectiveAlive[c]), 0));
  }
  const { totals } = costModel.evaluate(effectiveAlive, { ...info.costOptions, excludedLayers: topology.excluded });
  return {
    format: STRUCTURE_FORMAT,
    model: info.model,
    step: info.step,
    groups,
    widths,
    cost: {
      flops: totals.flops,
      macs: totals.macs,
      params: totals.params,
      totalParams: totals.totalParams,
      activations: totals.activations,
      ...(totals.latency !== undefined ? { latency: totals.latency } : {}),
    },
  };
}

/** Alive components from a structure file's `kept` lists (for expand and surgery). */
export function aliveFromStructure(analysis: ChannelAnalysis, structure: StructureFile): Float64Array {
  const alive = new Float64Array(analysis.numComponents);
  for (const group of structure.groups) {
    const components = analysis.groups[group.id].components;
    for (const index of group.kept) alive[components[index]] = 1;
  }
  return alive;
}

import type { PairedProtocol } from '../latency/timing.js';
import type { CostModel, CostOptions, CostTotals, LayerCost, Resource } from '../cost/cost-model.js';
import type { ChannelAnalysis } from '../graph/channel-groups.js';
import { handlerFor } from '../graph/handlers/registry.js';
import { StructureCosting } from './cost-of.js';
import type { FilledChannel } from './fill-budget.js';
import { seedStructure, structureFromAlive, type Structure } from './structure.js';
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

/** A layer that owns output channels, as the report lists it: the seed's width and the FLOPs of the seed and of this structure. */
export interface StructureLayer {
  name: string;
  className: string;
  original: number;
  seedFlops: number;
  flops: number;
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
  /** The hardware `cost.latency` (and `seedCost.latency`) was computed for. */
  hardware?: string;
  /** What the seed costs, so a reader needs no model to compare (absent in files from before it). */
  seedCost?: StructureCost;
  /** The channel-owning layers in graph order (absent in files from before it). */
  layers?: StructureLayer[];
}

/** expand/structure.json: the learned structure scaled to a budget. */
export interface ExpandedStructure extends StructureFile {
  multiplier: number;
  /** `percentOfSeed`: the budget was asked for as this percentage of the seed's cost; `value` is the resolved amount. */
  target: { resource: Resource; value: number; percentOfSeed?: number } | { multiplier: number };
  achieved: number;
  slack: number;
  /** Whether single channels were added after the multiplier (absent in structures from before the fill). */
  fill?: boolean;
  /** The fill's steps after the multiplier (a channel, a step of roundTo, or a jump to a kernel-path boundary), in order, with each group's new width. */
  filled: FilledChannel[];
  /** The widths are multiples of this (expand.roundTo, or its default for a latency table measured on wasm); absent when not rounded. */
  roundTo?: number;
  /** How its latency landed on the budget, where it was timed against the seed; absent where nothing was timed. */
  measured?: MeasuredLanding;
  /** The hardware the budget was priced on, as `resolveHardware` finds it again (a config name, a built-in, a table file's absolute path); absent without one, and in older files. */
  budgetHardware?: string;
}

/**
 * A latency budget from a measured table, on its backend: each structure fitted, timed against
 * the seed on `on` as `protocol` says, and refitted while it missed (latency/land-on-target.ts);
 * `chosen` is the attempt whose widths were taken.
 */
export interface MeasuredLanding {
  attempts: LandingAttempt[];
  chosen: number;
  on: string;
  protocol: PairedProtocol;
}

/** One structure fitted and timed: where the fit aimed, what the table predicted and what was measured. */
export interface LandingAttempt {
  /** The budget the structure was fitted to, in the table's ms (the target itself first). */
  aimedMs: number;
  /** The table's prediction for the structure. */
  predictedMs: number;
  /** Its time as a share of the seed's, timed in pairs with it. */
  measuredShare: number;
  /** measuredShare x the table's prediction for the seed: its time at the table's speed. */
  landedMs: number;
  /** (landedMs - target) / target. */
  error: number;
}

/** baseline/structure.json: the seed scaled by one multiplier to the expand budget (the paper's uniform baseline). */
export interface UniformStructure extends StructureFile {
  multiplier: number;
  /** Where expand's structure was timed onto its latency budget, the baseline was too, alike. */
  measured?: MeasuredLanding;
}

const costFields = (totals: CostTotals): StructureCost => ({
  flops: totals.flops,
  macs: totals.macs,
  params: totals.params,
  totalParams: totals.totalParams,
  activations: totals.activations,
  ...(totals.latency !== undefined ? { latency: totals.latency } : {}),
});

const flopsByLayer = (layers: LayerCost[]) => new Map(layers.map((layer) => [layer.name, layer.flops]));

/** The file form of a structure: groups with their layers, per-layer widths and costs, the seed's cost beside it. */
export function structureFile(costing: StructureCosting, structure: Structure, info: { model: string; step: number }): StructureFile {
  const analysis = costing.analysis;
  const topology = structureTopology(analysis, structure.groups.map((g) => g.width));
  const groups: StructureGroup[] = analysis.groups.map((group) => ({
    id: group.id,
    layers: group.members.map((m) => m.nodeId),
    original: group.width,
    width: topology.widths[group.id],
    kept: topology.widths[group.id] === 0 ? [] : structure.groups[group.id].kept,
    ...(group.fixed ? { fixed: true } : {}),
  }));
  const owners = analysis.graph.nodes.filter((node) => handlerFor(node.className)?.ownsChannels);
  const widths: Record<string, number> = {};
  for (const id of owners.map((node) => node.id).sort()) widths[id] = topology.excluded.has(id) ? 0 : topology.plan.widths.get(id)!;
  const cost = costing.evaluate(topology.widths);
  const seed = costing.evaluate(seedStructure(analysis).groups.map((g) => g.width));
  const [flops, seedFlops] = [flopsByLayer(cost.layers), flopsByLayer(seed.layers)];
  return {
    format: STRUCTURE_FORMAT,
    model: info.model,
    step: info.step,
    groups,
    widths,
    cost: costFields(cost.totals),
    ...(costing.options.hardware ? { hardware: costing.options.hardware.name } : {}),
    seedCost: costFields(seed.totals),
    layers: owners.map((node) => ({ name: node.id, className: node.className, original: Number(node.outputShape.at(-1)), seedFlops: seedFlops.get(node.id) ?? 0, flops: flops.get(node.id) ?? 0 })),
  };
}

/**
 * The structure of a network with the given channel components alive (0/1, as the regularizer
 * reports them), costed as the rebuilt model will be. What shrink exports.
 */
export function buildStructure(analysis: ChannelAnalysis, costModel: CostModel, alive: Float64Array, info: { model: string; step: number; costOptions?: CostOptions }): StructureFile {
  return structureFile(new StructureCosting(costModel, info.costOptions), structureFromAlive(analysis, alive), info);
}

/** The structure a structure file describes. */
export function structureOfFile(file: Pick<StructureFile, 'groups'>): Structure {
  return { groups: file.groups.map((group) => ({ width: group.width, kept: group.kept })) };
}

import type { ChannelAnalysis } from '../graph/channel-groups.js';
import { handlerFor } from '../graph/handlers/registry.js';
import { modelError } from '../errors.js';
import type { GroupWidths } from './width-multiplier.js';

/** What to change in the seed to get a structure: new widths, removed layers, bypassed merges. */
export interface RebuildPlan {
  /** New channel count of every layer that owns its channels. */
  widths: Map<string, number>;
  /** Layers that disappear (their output is dead, or they lost every input). */
  removed: Set<string>;
  /** Merge layers left with one input: replaced by that input. */
  bypassed: Map<string, string>;
  /** For each surviving merge layer, the inputs it loses. */
  droppedInputs: Map<string, string[]>;
}

/**
 * Plans the topology of a structure. A layer whose channels all belong to width-0 groups is
 * removed, and so is everything that then has no input; a merge layer drops removed inputs
 * (a residual branch disappears, its skip connection stays; a tower leaves the Concatenate)
 * and one left with a single input is bypassed.
 */
export function planRebuild(analysis: ChannelAnalysis, widths: GroupWidths): RebuildPlan {
  const { graph } = analysis;
  const groupWidthOf = (component: number) => widths[analysis.componentGroup[component]];
  const plan: RebuildPlan = { widths: new Map(), removed: new Set(), bypassed: new Map(), droppedInputs: new Map() };
  const resolve = (id: string): string => plan.bypassed.get(id) ?? id;
  // For each removed layer, the emptied layers that removed it (itself, or what cut all its inputs).
  const emptiedBy = new Map<string, string[]>();

  for (const node of graph.nodes) {
    const components = analysis.outputComponents.get(node.id)!;
    if (handlerFor(node.className)?.ownsChannels) {
      let width = 0;
      for (const c of components) width += groupWidthOf(c) / analysis.groups[analysis.componentGroup[c]].width;
      plan.widths.set(node.id, Math.round(width));
    }
    if (node.inputs.length === 0) continue;
    const outputDead = Array.from(components).every((c) => groupWidthOf(c) === 0);
    const liveInputs = node.inputs.filter((input) => !plan.removed.has(resolve(input)));
    if (outputDead || liveInputs.length === 0) {
      plan.removed.add(node.id);
      emptiedBy.set(node.id, outputDead ? emptiedSources(analysis, components, node.id) : unique(node.inputs.flatMap((input) => emptiedBy.get(resolve(input)) ?? [])));
      continue;
    }
    if (liveInputs.length < node.inputs.length) {
      // The layer's handler says whether it is a merge, and whether it means the same with an input fewer.
      const merge = handlerFor(node.className)?.merge;
      if (!merge) {
        throw modelError(`layer "${node.id}" (${node.className}) would lose some of its inputs`, 'this structure cannot be rebuilt; keep at least one channel in the groups feeding it');
      }
      if (merge !== 'drops-inputs') {
        throw modelError(`layer "${node.id}" (${node.className}) would lose an input, which changes what it computes`, `keep at least one channel in the groups feeding ${node.id}`);
      }
      if (liveInputs.length === 1) plan.bypassed.set(node.id, resolve(liveInputs[0]));
      else plan.droppedInputs.set(node.id, node.inputs.filter((input) => plan.removed.has(resolve(input))));
    }
  }
  for (const output of graph.outputIds) {
    if (plan.removed.has(output)) throw outputRemoved(output, emptiedBy.get(output) ?? []);
  }
  return plan;
}

const unique = (ids: string[]) => [...new Set(ids)];
const quoted = (ids: string[]) => ids.map((id) => `"${id}"`).join(', ');

/** The layers that create a dead output's channels (the width-0 groups' sources), else the layer itself. */
function emptiedSources(analysis: ChannelAnalysis, components: Int32Array, nodeId: string): string[] {
  const sources = unique(Array.from(components).flatMap((c) => analysis.groups[analysis.componentGroup[c]].sources));
  return sources.length > 0 ? sources : [nodeId];
}

/** Names the layers that reached width 0, not just the output they cut off. */
function outputRemoved(output: string, emptied: string[]) {
  if (emptied.length === 0) return modelError(`the structure removes the model output "${output}"`, 'keep at least one channel in every layer on the path to the output: lower shrink.strength or shrink.threshold');
  const them = emptied.length > 1 ? 'them' : 'it';
  return modelError(
    `the structure removes the model output "${output}": ${quoted(emptied)} reached width 0 and every path to the output goes through ${them}`,
    `lower shrink.strength or shrink.threshold so that ${quoted(emptied)} keeps at least one channel`,
  );
}

/** A structure as it will be built: widths with orphaned groups at 0, and the layers that disappear. */
export interface StructureTopology {
  widths: GroupWidths;
  plan: RebuildPlan;
  /** Layers not in the rebuilt model (removed or bypassed): they cost nothing. */
  excluded: Set<string>;
}

/**
 * Widths as the rebuilt model will have them: a group whose every source layer is removed is
 * no longer produced, so it is set to 0 (a tower dropped from a Concatenate takes its slice
 * with it), repeated until nothing changes.
 */
export function structureTopology(analysis: ChannelAnalysis, widths: GroupWidths): StructureTopology {
  const effective = [...widths];
  for (;;) {
    const plan = planRebuild(analysis, effective);
    let changed = false;
    for (const group of analysis.groups) {
      if (effective[group.id] !== 0 && group.sources.length > 0 && group.sources.every((id) => plan.removed.has(id))) {
        effective[group.id] = 0;
        changed = true;
      }
    }
    if (!changed) return { widths: effective, plan, excluded: new Set([...plan.removed, ...plan.bypassed.keys()]) };
  }
}

import type { ChannelAnalysis } from '../graph/channel-groups.js';
import type { GroupWidths } from './width-multiplier.js';

/** One channel group of a structure: its width and the seed channels it keeps (indices into the group's channels). */
export interface GroupStructure {
  width: number;
  kept: number[];
}

/**
 * A network's structure, the one value every stage passes on: per channel group (indexed by
 * group id) an integer width and the kept seed channels. Shrink exports one, expand scales one,
 * the uniform baseline scales the seed's; costOf prices any of them.
 */
export interface Structure {
  groups: GroupStructure[];
}

export const widthsOf = (structure: Structure): GroupWidths => structure.groups.map((group) => group.width);

/** The seed as a structure: every group at its original width, every channel kept. */
export function seedStructure(analysis: ChannelAnalysis): Structure {
  return { groups: analysis.groups.map((group) => ({ width: group.width, kept: group.components.map((_, index) => index) })) };
}

/**
 * The channels alive as a structure: a group keeps the channels whose alive value is above 0
 * (fixed groups keep all of theirs). Alive values are 0/1 as the regularizer reports them; a
 * vector of fractions w / original (the cost model's form of other widths) gives width w,
 * keeping the first w channels.
 */
export function structureFromAlive(analysis: ChannelAnalysis, alive: Float64Array): Structure {
  return {
    groups: analysis.groups.map((group) => {
      const isFixed = (component: number) => analysis.componentFixed[component] === 1;
      const width = Math.round(group.components.reduce((sum, component) => sum + (isFixed(component) ? 1 : alive[component]), 0));
      const kept = group.components.flatMap((component, index) => (isFixed(component) || alive[component] > 0 ? [index] : [])).slice(0, width);
      return { width, kept };
    }),
  };
}

/**
 * `from` at new widths: each group keeps the first `widths[g]` of the channels `from` kept
 * (channels beyond them are new, so `kept` may be shorter than the width).
 */
export function withWidths(from: Structure, widths: GroupWidths): Structure {
  return { groups: from.groups.map((group, id) => ({ width: widths[id], kept: group.kept.slice(0, widths[id]) })) };
}

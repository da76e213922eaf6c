import type { CostModel, CostOptions, Resource } from '../cost/cost-model.js';
import type { ChannelAnalysis } from '../graph/channel-groups.js';
import { StructureCosting } from './cost-of.js';

/** Width of every group (by group id); fixed groups keep their original width. */
export type GroupWidths = number[];

/**
 * Alive values that make the cost model count `widths`: every component of group g counts
 * widths[g] / original[g], so a layer's channel count is exactly its group's new width (and
 * m times it behind a depthwise multiplier), also for widths above the seed's. Only
 * StructureCosting (costOf) should need this form.
 */
export function aliveForWidths(analysis: ChannelAnalysis, widths: GroupWidths): Float64Array {
  const alive = new Float64Array(analysis.numComponents);
  for (const group of analysis.groups) {
    const value = group.fixed ? 1 : widths[group.id] / group.width;
    for (const component of group.components) alive[component] = value;
  }
  return alive;
}

export interface MultiplierOptions {
  /** No group grows beyond this many channels. */
  maxWidth?: number;
}

/** round(w * width) for every prunable group; a group at width 0 stays 0, any other keeps at least 1 channel. */
export function scaleWidths(analysis: ChannelAnalysis, learned: GroupWidths, multiplier: number, options: MultiplierOptions = {}): GroupWidths {
  return analysis.groups.map((group) => {
    if (group.fixed) return group.width;
    const width = learned[group.id];
    if (width === 0) return 0;
    const scaled = Math.max(1, Math.round(multiplier * width));
    return options.maxWidth ? Math.min(scaled, options.maxWidth) : scaled;
  });
}

export interface MultiplierSolution {
  multiplier: number;
  widths: GroupWidths;
  cost: number;
  /** Target minus achieved cost (>= 0). */
  slack: number;
}

export interface ReachableRange {
  smallest: number;
  largest: number;
}

/**
 * The largest width multiplier w with cost(round(w * learned widths)) <= target, by bisection on
 * the exact cost model (costs are bilinear in widths, so no closed form such as sqrt is right).
 * Returns undefined with the reachable range when the target cannot be met.
 */
export function solveMultiplier(
  costModel: CostModel,
  learned: GroupWidths,
  resource: Resource,
  target: number,
  options: MultiplierOptions & { costOptions?: CostOptions } = {},
): { solution?: MultiplierSolution; range: ReachableRange } {
  const analysis = costModel.analysis;
  const costing = new StructureCosting(costModel, options.costOptions);
  // Which groups are 0 does not depend on w, so neither do the groups the rebuilt model loses.
  const built = costing.builtWidths(learned);
  const costAt = (w: number) => costing.resource(resource, scaleWidths(analysis, built, w, options));
  const largestWidth = Math.max(1, ...analysis.groups.filter((g) => !g.fixed).map((g) => learned[g.id]));
  // Beyond this multiplier every group is capped (with maxWidth) or the cost has long passed any target.
  const saturation = options.maxWidth ? options.maxWidth : Math.max(2 * largestWidth, 1) * 64;
  const smallest = costAt(0);
  const largest = options.maxWidth ? costAt(saturation) : Infinity;
  const range = { smallest, largest };
  if (target < smallest) return { range };
  if (target >= largest) {
    const widths = scaleWidths(analysis, built, saturation, options);
    return { solution: { multiplier: saturation, widths, cost: largest, slack: target - largest }, range };
  }
  let low = 0;
  let high = 1;
  while (costAt(high) <= target && high < saturation) high *= 2;
  // Invariant: cost(low) <= target < cost(high). Widths change only at w = (k + 0.5) / width.
  for (let i = 0; i < 60 && high - low > 1e-9 * high; i++) {
    const mid = (low + high) / 2;
    if (costAt(mid) <= target) low = mid;
    else high = mid;
  }
  const widths = scaleWidths(analysis, built, low, options);
  const cost = costAt(low);
  return { solution: { multiplier: low, widths, cost, slack: target - cost }, range };
}

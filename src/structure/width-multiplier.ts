import type { CostModel, CostOptions, Resource } from '../cost/cost-model.js';
import type { ChannelAnalysis } from '../graph/channel-groups.js';
import { costMayFallWithWidth } from './class-boundaries.js';
import { StructureCosting } from './cost-of.js';
import { nearestMultiple } from './round-widths.js';

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
  /**
   * Widths in multiples of this (`expand.roundTo`): each scaled width rounded as `roundWidths`
   * rounds it (`nearestMultiple`), so the search prices the widths that will be built.
   */
  roundTo?: number;
}

/** A prunable group's width from its unrounded scaled width (at least 1): capped at maxWidth, then rounded to roundTo's multiples. */
function builtWidth(scaled: number, options: MultiplierOptions): number {
  const capped = options.maxWidth ? Math.min(scaled, options.maxWidth) : scaled;
  return options.roundTo ? nearestMultiple(capped, options.roundTo, options.maxWidth) : capped;
}

/**
 * round(w * width) for every prunable group, within maxWidth and, with roundTo, rounded to its
 * multiples; a group at width 0 stays 0, any other keeps at least 1 channel.
 */
export function scaleWidths(analysis: ChannelAnalysis, learned: GroupWidths, multiplier: number, options: MultiplierOptions = {}): GroupWidths {
  return analysis.groups.map((group) => {
    if (group.fixed) return group.width;
    const width = learned[group.id];
    if (width === 0) return 0;
    return builtWidth(Math.max(1, Math.round(multiplier * width)), options);
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
 * At most this many multipliers above the bisection's answer are priced where the cost can fall
 * with width (`costMayFallWithWidth`). A measured table's dips are one layer's step between
 * kernel paths (or its samples' noise), a few percent of the model, so a structure that fits
 * despite the bisection lies just above its answer, where the cost's upward trend has not yet
 * left the target behind. Each breakpoint is one group growing by one channel, so 512 of them
 * add 512 channels to the structure at the bisection's answer: at MobileNetV2 0.35's seed widths
 * (4144 prunable channels) 12% more, at ResNet-20's (448) more than double, well past one
 * layer's jump (with roundTo, each breakpoint is one group growing by one step of roundTo
 * channels). With them the solve took 0.5 s for MobileNetV2 0.35 and 0.2 s for zoo:cnn with
 * measured tables, on a busy 2-core machine.
 */
export const MAX_BREAKPOINT_CANDIDATES = 512;

/**
 * The multipliers in (above, limit] where some group's width round(w * learned) changes,
 * ascending and distinct, at most `count`: for a group of learned width L at w = (k + 0.5) / L,
 * where its width becomes k + 1 (k >= 1: below 1.5 / L it is held at 1), up to maxWidth; with
 * roundTo, only those where the rounded width changes (k + 1 past the middle between two
 * multiples). Between one breakpoint and the next no width changes.
 */
export function widthBreakpoints(analysis: ChannelAnalysis, learned: GroupWidths, above: number, limit: number, count: number, options: MultiplierOptions = {}): number[] {
  const all: number[] = [];
  for (const group of analysis.groups) {
    const width = learned[group.id];
    if (group.fixed || width === 0) continue;
    // The first k whose breakpoint lies above `above`.
    let k = Math.max(1, Math.floor(above * width - 0.5) + 1);
    for (let taken = 0; taken < count; k++) {
      const breakpoint = (k + 0.5) / width;
      if (breakpoint > limit || (options.maxWidth !== undefined && k + 1 > options.maxWidth)) break;
      // Without roundTo every k changes the width; with it, one k in roundTo.
      if (options.roundTo !== undefined && builtWidth(k + 1, options) === builtWidth(k, options)) continue;
      taken++;
      if (breakpoint > above) all.push(breakpoint);
    }
  }
  return [...new Set(all.sort((a, b) => a - b))].slice(0, count);
}

/**
 * Where the cost can fall with width: of the breakpoints above `low` (at most
 * MAX_BREAKPOINT_CANDIDATES, up to `limit`), the largest multiplier whose widths fit the target
 * (undefined if none does) and the least cost priced. Each breakpoint's widths are priced at the
 * middle of its interval, away from rounding at its ends.
 */
function scanBreakpoints(
  analysis: ChannelAnalysis,
  built: GroupWidths,
  low: number,
  limit: number,
  costAt: (w: number) => number,
  target: number,
  options: MultiplierOptions,
): { largestFitting?: number; cheapest: number } {
  // One breakpoint more than priced: the last priced one's interval ends at it.
  const breakpoints = widthBreakpoints(analysis, built, low, limit, MAX_BREAKPOINT_CANDIDATES + 1, options);
  let largestFitting: number | undefined;
  let cheapest = Number.POSITIVE_INFINITY;
  for (let i = 0; i < Math.min(breakpoints.length, MAX_BREAKPOINT_CANDIDATES); i++) {
    const end = breakpoints[i + 1] ?? Math.max(limit, breakpoints[i]);
    const middle = (breakpoints[i] + end) / 2;
    const cost = costAt(middle);
    cheapest = Math.min(cheapest, cost);
    if (cost <= target) largestFitting = middle;
  }
  return { largestFitting, cheapest };
}

/**
 * The largest width multiplier w with cost(round(w * learned widths)) <= target (with roundTo,
 * the cost of those widths rounded to its multiples: what will be built), by bisection on
 * the exact cost model (costs are bilinear in widths, so no closed form such as sqrt is right).
 * Where the cost can fall with width (latency from a measured table: `costMayFallWithWidth`) the
 * bisection's answer fits but need not be the largest that does, so the multipliers above it at
 * which a width changes are priced too and the largest that fits is taken; a target below the
 * cost of every group at one channel is looked for the same way above that. Returns undefined
 * with the reachable range when the target cannot be met (its smallest: the least cost priced).
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
  const falls = costMayFallWithWidth(resource, options.costOptions);
  const solution = (multiplier: number, cost = costAt(multiplier)): MultiplierSolution => ({ multiplier, widths: scaleWidths(analysis, built, multiplier, options), cost, slack: target - cost });
  const smallest = costAt(0);
  const largest = options.maxWidth ? costAt(saturation) : Infinity;
  const range = { smallest, largest };
  if (target < smallest) {
    if (!falls) return { range };
    // Every group at one channel need not be the cheapest structure (1 channel runs XNNPACK, 8 a whole tile).
    const { largestFitting, cheapest } = scanBreakpoints(analysis, built, 0, saturation, costAt, target, options);
    const scanned = { smallest: Math.min(smallest, cheapest), largest };
    return largestFitting === undefined ? { range: scanned } : { solution: solution(largestFitting), range: scanned };
  }
  if (target >= largest) return { solution: solution(saturation, largest), range };
  let low = 0;
  let high = 1;
  while (costAt(high) <= target && high < saturation) high *= 2;
  // Invariant: cost(low) <= target < cost(high). Widths change only at w = (k + 0.5) / width.
  for (let i = 0; i < 60 && high - low > 1e-9 * high; i++) {
    const mid = (low + high) / 2;
    if (costAt(mid) <= target) low = mid;
    else high = mid;
  }
  const above = falls ? scanBreakpoints(analysis, built, low, saturation, costAt, target, options).largestFitting : undefined;
  return { solution: solution(above ?? low), range };
}

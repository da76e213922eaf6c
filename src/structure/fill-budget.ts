import type { CostModel, CostOptions, Resource } from '../cost/cost-model.js';
import { classBoundariesAbove, costMayFallWithWidth } from './class-boundaries.js';
import { StructureCosting } from './cost-of.js';
import { solveMultiplier, type GroupWidths, type MultiplierOptions, type ReachableRange } from './width-multiplier.js';

/** One step of the fill: the group and its width after it (one channel more, one step of roundTo, or a jump to a class boundary). */
export interface FilledChannel {
  group: number;
  width: number;
}

export interface FillResult {
  widths: GroupWidths;
  cost: number;
  added: FilledChannel[];
}

/**
 * Spends what one width multiplier leaves of a budget. One multiplier moves every width at
 * once, so the next step past the solved multiplier overshoots while single channels may still
 * fit. Channels are added one at a time, each to the group whose next channel comes due first
 * under proportional growth (smallest (width + 1) / learned width, the group furthest below
 * w * learned width; ties to the lower group id) among those whose next channel still fits,
 * until none fits. Where the cost can fall with width (latency from a measured table:
 * `costMayFallWithWidth`) a channel that does not fit need not end the fill, since a wider
 * width may run a faster kernel path (31 channels on XNNPACK, 32 on whole tiles): when no next
 * channel fits, each group in the same order may jump to the first of its class boundaries up
 * to the next multiple of 8 that fits (`classBoundariesAbove`: 28 or 32 from 24 channels when
 * 25 does not fit). Only boundaries are priced: within a class time grows with width, so past a
 * next channel that does not fit only a change of class can. Groups are the unit, so tied
 * layers stay tied; width-0 groups stay removed, fixed groups and groups at maxWidth stay as
 * they are (and, where the cost may fall, groups at TABLE_FILL_MAX_GROWTH times their seed width).
 *
 * With roundTo the fill moves in its steps instead of single channels: a group grows to its next
 * multiple of roundTo, and jumps only to class boundaries that are multiples of it, so every
 * width stays a multiple (the multiplier's rounded widths, `MultiplierOptions.roundTo`, are). A
 * step of roundTo is the unit the multiplier moves a group by too, so the fill spends what one
 * rounded multiplier leaves as the single-channel fill does without rounding.
 */
/**
 * Where the cost can stay flat or fall with width (latency from a measured table, whose samples
 * end at 150% of the seed's widths and whose extrapolation past them is flat where the end
 * segment falls), a group grows to at most this many times its seed width: a flat end would
 * otherwise let the fill add free channels forever.
 */
export const TABLE_FILL_MAX_GROWTH = 4;

export function fillBudget(
  costModel: CostModel,
  learned: GroupWidths,
  start: GroupWidths,
  resource: Resource,
  target: number,
  options: { maxWidth?: number; roundTo?: number; costOptions?: CostOptions } = {},
): FillResult {
  const analysis = costModel.analysis;
  const costing = new StructureCosting(costModel, options.costOptions);
  const step = options.roundTo ?? 1;
  /** A group's width one step up: the next multiple of the step (width + 1 without roundTo). */
  const next = (width: number) => (Math.floor(width / step) + 1) * step;
  const jumps = costMayFallWithWidth(resource, options.costOptions);
  const maxWidth = (group: number) => Math.min(options.maxWidth ?? Number.POSITIVE_INFINITY, jumps ? TABLE_FILL_MAX_GROWTH * analysis.groups[group].width : Number.POSITIVE_INFINITY);
  const widths = [...start];
  // Growing a group never makes or unmakes a width-0 group, so the rebuilt topology stays that of `start`.
  let cost = costing.resource(resource, widths);
  const added: FilledChannel[] = [];
  /** Sets the group to the first of these widths that fits and says so; leaves it as it was if none does. */
  const growTo = (group: number, candidates: number[]): boolean => {
    const before = widths[group];
    for (const width of candidates) {
      widths[group] = width;
      const next = costing.resource(resource, widths);
      if (next <= target) {
        cost = next;
        added.push({ group, width });
        return true;
      }
    }
    widths[group] = before;
    return false;
  };
  const growable = analysis.groups.filter((g) => !g.fixed && learned[g.id] > 0 && widths[g.id] > 0).map((g) => g.id);
  for (;;) {
    const candidates = growable.filter((g) => next(widths[g]) <= maxWidth(g)).sort((a, b) => next(widths[a]) / learned[a] - next(widths[b]) / learned[b] || a - b);
    if (candidates.some((group) => growTo(group, [next(widths[group])]))) continue;
    const boundaries = (group: number) => classBoundariesAbove(next(widths[group])).filter((width) => width % step === 0 && width <= maxWidth(group));
    if (jumps && candidates.some((group) => growTo(group, boundaries(group)))) continue;
    return { widths, cost, added };
  }
}

export interface BudgetFit {
  multiplier: number;
  widths: GroupWidths;
  cost: number;
  /** Target minus achieved cost (>= 0). */
  slack: number;
  /** The fill's steps after the multiplier, in order (empty without fill). */
  filled: FilledChannel[];
}

/**
 * The structure expand and the uniform baseline build for a budget: the largest width multiplier
 * that fits (solveMultiplier), then, with `fill`, channels one group at a time until no more fit
 * (fillBudget). With roundTo both price the widths rounded to its multiples, which are the ones
 * returned: the result fits the budget as built, with no rounding after it.
 */
export function fitBudget(
  costModel: CostModel,
  learned: GroupWidths,
  resource: Resource,
  target: number,
  options: MultiplierOptions & { costOptions?: CostOptions; fill: boolean },
): { fit?: BudgetFit; range: ReachableRange } {
  const { solution, range } = solveMultiplier(costModel, learned, resource, target, options);
  if (!solution) return { range };
  if (!options.fill) return { fit: { ...solution, filled: [] }, range };
  const filled = fillBudget(costModel, learned, solution.widths, resource, target, options);
  return { fit: { multiplier: solution.multiplier, widths: filled.widths, cost: filled.cost, slack: target - filled.cost, filled: filled.added }, range };
}

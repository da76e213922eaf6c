import type { GroupWidths } from './width-multiplier.js';

export interface RoundWidthsOptions {
  /** Groups whose width is not the tool's to change (fixed channels): left as they are. */
  fixed: readonly boolean[];
  /** The most channels each group may have (expand.maxWidth, per group); absent: no limit. */
  maxWidths?: readonly number[];
  /** The structure's cost in the budget's resource, and the budget it must stay within. */
  cost?: (widths: GroupWidths) => number;
  budget?: number;
}

/**
 * The widths a group may take around `width`: the multiple of `step` below it and the one above
 * within its maximum (either is the width itself where no multiple fits: 0 would remove the
 * group's branch), and the nearest of the two (halves up; a group narrower than one step goes up).
 */
function choices(width: number, step: number, max: number): { down: number; nearest: number } {
  const below = Math.floor(width / step) * step;
  const within = Math.floor(max / step) * step;
  const above = Math.min(Math.ceil(width / step) * step, within);
  const down = below > 0 ? below : width;
  const up = above >= width ? above : down;
  if (below === 0) return { down, nearest: up };
  return { down, nearest: width - down >= up - width ? up : down };
}

/**
 * One prunable group's width as `roundWidths` rounds it without a budget: the nearest multiple of
 * `step` (halves up) within `max`; narrower than one step, one step (or the width itself where
 * even that passes `max`). Never below 1 for a width of at least 1, and nondecreasing in `width`.
 */
export function nearestMultiple(width: number, step: number, max = Number.POSITIVE_INFINITY): number {
  return choices(width, step, max).nearest;
}

/**
 * Widths in multiples of `step` (`expand.roundTo`): each prunable group to its nearest multiple
 * (halves up) within its maximum width; a group narrower than one step goes up to one step, or
 * keeps its width where even that passes its maximum (0 would remove its branch); a group at 0
 * stays removed. Tied layers stay tied: a group has one
 * width. With a budget, groups that went up go back down, the one saving the most cost first,
 * until the cost is within the budget: where cost grows with every width (FLOPs, size) rounding
 * then never spends more than the widths it was given, since all of them rounded down cost no
 * more than those; where it need not (latency from a measured table) rounding down can cost more.
 * expand does not round after its search: it searches the rounded widths (MultiplierOptions.roundTo).
 */
export function roundWidths(widths: GroupWidths, step: number, options: RoundWidthsOptions): GroupWidths {
  const bounds = widths.map((width, g) => choices(width, step, options.maxWidths?.[g] ?? Number.POSITIVE_INFINITY));
  const rounded = widths.map((width, g) => (options.fixed[g] || width === 0 ? width : bounds[g].nearest));
  const { cost, budget } = options;
  if (!cost || budget === undefined) return rounded;
  let current = cost(rounded);
  while (current > budget) {
    const wentUp = rounded.flatMap((width, g) => (!options.fixed[g] && width > widths[g] ? [g] : []));
    if (wentUp.length === 0) break;
    const savings = wentUp.map((g) => {
      const trial = [...rounded];
      trial[g] = bounds[g].down;
      return { g, cost: cost(trial) };
    });
    const best = savings.reduce((a, b) => (b.cost < a.cost ? b : a));
    rounded[best.g] = bounds[best.g].down;
    current = best.cost;
  }
  return rounded;
}

import type { CostModel, CostOptions, Resource } from '../cost/cost-model.js';
import { StructureCosting } from './cost-of.js';
import { solveMultiplier, type GroupWidths, type MultiplierOptions, type ReachableRange } from './width-multiplier.js';

/** One channel added by the fill: the group and its width after the addition. */
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
 * until none fits. Groups are the unit, so tied layers stay tied; width-0 groups stay removed,
 * fixed groups and groups at maxWidth stay as they are.
 */
export function fillBudget(
  costModel: CostModel,
  learned: GroupWidths,
  start: GroupWidths,
  resource: Resource,
  target: number,
  options: { maxWidth?: number; costOptions?: CostOptions } = {},
): FillResult {
  const analysis = costModel.analysis;
  const costing = new StructureCosting(costModel, options.costOptions);
  // Growing a group never makes or unmakes a width-0 group, so the rebuilt topology stays that of `start`.
  const priced = (widths: GroupWidths) => costing.resource(resource, widths);
  const widths = [...start];
  let cost = priced(widths);
  const added: FilledChannel[] = [];
  const growable = analysis.groups.filter((g) => !g.fixed && learned[g.id] > 0 && widths[g.id] > 0).map((g) => g.id);
  for (;;) {
    const candidates = growable
      .filter((g) => options.maxWidth === undefined || widths[g] < options.maxWidth)
      .sort((a, b) => (widths[a] + 1) / learned[a] - (widths[b] + 1) / learned[b] || a - b);
    let grown = false;
    for (const group of candidates) {
      widths[group] += 1;
      const next = priced(widths);
      if (next <= target) {
        cost = next;
        added.push({ group, width: widths[group] });
        grown = true;
        break;
      }
      widths[group] -= 1;
    }
    if (!grown) return { widths, cost, added };
  }
}

export interface BudgetFit {
  multiplier: number;
  widths: GroupWidths;
  cost: number;
  /** Target minus achieved cost (>= 0). */
  slack: number;
  /** Channels the fill added after the multiplier, in order (empty without fill). */
  filled: FilledChannel[];
}

/**
 * The structure expand and the uniform baseline build for a budget: the largest width multiplier
 * that fits (solveMultiplier), then, with `fill`, single channels until no more fit.
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

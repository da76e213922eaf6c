import type { Resource } from '../cost/cost-model.js';
import { MorphnetError } from '../errors.js';
import type { StructureCosting } from './cost-of.js';
import { type BudgetFit, fitBudget } from './fill-budget.js';
import type { ExpandedStructure } from './structure-file.js';
import { seedStructure, withWidths, type Structure } from './structure.js';

/**
 * The paper's baseline: every group of the seed scaled by one multiplier to the expand budget,
 * filled and rounded as expand was, so both arms use their budget alike (structures from before
 * the fill have none).
 */
export function uniformStructure(costing: StructureCosting, expanded: BaselineBudgetOf): { structure: Structure; multiplier: number; fit: BudgetFit } {
  const budget = uniformBudget(expanded);
  const fit = uniformFitAt(costing, expanded)(budget.value);
  if (!fit) throw new MorphnetError('budget', `no uniform width multiplier fits ${budget.resource} ${budget.value}`, 'raise the expand target');
  return { structure: withWidths(seedStructure(costing.analysis), fit.widths), multiplier: fit.multiplier, fit };
}

/** What of expand's result the baseline is fitted to. */
type BaselineBudgetOf = Pick<ExpandedStructure, 'target' | 'cost' | 'fill' | 'roundTo'>;

/** Expand's budget; a fixed-multiplier expand has none, and the baseline matches the FLOPs it reached. */
export function uniformBudget(expanded: BaselineBudgetOf): { resource: Resource; value: number } {
  return 'resource' in expanded.target ? expanded.target : { resource: 'flops', value: expanded.cost.flops };
}

/**
 * The seed scaled by one multiplier to a budget of expand's resource, filled as expand was and in
 * expand's multiples (expand.roundTo, as MobileNets round a width multiplier's channels to 8).
 */
export function uniformFitAt(costing: StructureCosting, expanded: BaselineBudgetOf): (value: number) => BudgetFit | undefined {
  const { resource } = uniformBudget(expanded);
  const seedWidths = seedStructure(costing.analysis).groups.map((g) => g.width);
  return (value) => fitBudget(costing.costModel, seedWidths, resource, value, { fill: expanded.fill ?? false, roundTo: expanded.roundTo, costOptions: costing.options }).fit;
}

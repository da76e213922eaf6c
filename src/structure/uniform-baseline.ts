import type { Resource } from '../cost/cost-model.js';
import { MorphnetError } from '../errors.js';
import type { StructureCosting } from './cost-of.js';
import { fitBudget } from './fill-budget.js';
import type { ExpandedStructure } from './structure-file.js';
import { seedStructure, withWidths, type Structure } from './structure.js';

/**
 * The paper's baseline: every group of the seed scaled by one multiplier to the expand budget,
 * filled as expand was, so both arms use their budget alike (structures from before the fill have none).
 */
export function uniformStructure(costing: StructureCosting, expanded: Pick<ExpandedStructure, 'target' | 'cost' | 'fill'>): { structure: Structure; multiplier: number } {
  const analysis = costing.analysis;
  const seed = seedStructure(analysis);
  // A fixed-multiplier expand has no budget: the baseline matches the FLOPs it reached.
  const budget = 'resource' in expanded.target ? expanded.target : { resource: 'flops' as Resource, value: expanded.cost.flops };
  const { fit } = fitBudget(costing.costModel, seed.groups.map((g) => g.width), budget.resource, budget.value, { fill: expanded.fill ?? false, costOptions: costing.options });
  if (!fit) throw new MorphnetError('budget', `no uniform width multiplier fits ${budget.resource} ${budget.value}`, 'raise the expand target');
  return { structure: withWidths(seed, fit.widths), multiplier: fit.multiplier };
}

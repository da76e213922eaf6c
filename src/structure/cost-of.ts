import { CostModel, type CostOptions, type CostTotals, type LayerCost, type Resource } from '../cost/cost-model.js';
import type { ChannelAnalysis } from '../graph/channel-groups.js';
import type { Structure } from './structure.js';
import { structureTopology } from './topology.js';
import { aliveForWidths, type GroupWidths } from './width-multiplier.js';

export interface StructureCost {
  layers: LayerCost[];
  totals: CostTotals;
}

/** Which groups are not produced and which layers are not built, for one pattern of width-0 groups. */
interface BuiltShape {
  orphaned: number[];
  excluded: ReadonlySet<string>;
}

/**
 * The one way a structure is priced: integer group widths in, the cost of the model that will
 * be rebuilt out (groups left without a producer count 0, removed layers cost nothing). Which
 * layers are built depends only on which groups are 0, so a solver pricing many widths with the
 * same zeros plans the topology once.
 */
export class StructureCosting {
  readonly costModel: CostModel;
  private readonly shapes = new Map<string, BuiltShape>();

  constructor(
    analysisOrModel: ChannelAnalysis | CostModel,
    readonly options: CostOptions = {},
  ) {
    this.costModel = analysisOrModel instanceof CostModel ? analysisOrModel : new CostModel(analysisOrModel);
  }

  get analysis(): ChannelAnalysis {
    return this.costModel.analysis;
  }

  private shape(widths: GroupWidths): BuiltShape {
    const key = widths.map((w) => (w === 0 ? '0' : '1')).join('');
    let shape = this.shapes.get(key);
    if (!shape) {
      const topology = structureTopology(this.analysis, widths);
      shape = { orphaned: topology.widths.flatMap((w, g) => (w === 0 && widths[g] !== 0 ? [g] : [])), excluded: topology.excluded };
      this.shapes.set(key, shape);
    }
    return shape;
  }

  /** Widths as the rebuilt model has them: groups whose every producer is removed at 0. */
  builtWidths(widths: GroupWidths): GroupWidths {
    const built = [...widths];
    for (const group of this.shape(widths).orphaned) built[group] = 0;
    return built;
  }

  private priced(widths: GroupWidths): { alive: Float64Array; options: CostOptions } {
    // The cost model counts channels from per-component alive values; w / original per channel sums to w.
    return { alive: aliveForWidths(this.analysis, this.builtWidths(widths)), options: { ...this.options, excludedLayers: this.shape(widths).excluded } };
  }

  /** Every resource, per layer and in total. */
  evaluate(widths: GroupWidths): StructureCost {
    const { alive, options } = this.priced(widths);
    return this.costModel.evaluate(alive, options);
  }

  /** One resource, computing only that one (what the solvers call many times). */
  resource(resource: Resource, widths: GroupWidths): number {
    const { alive, options } = this.priced(widths);
    return this.costModel.resource(resource, alive, options);
  }
}

/** The cost of a structure (see StructureCosting). */
export function costOf(analysis: ChannelAnalysis, structure: Structure, options: CostOptions = {}): StructureCost {
  return new StructureCosting(analysis, options).evaluate(structure.groups.map((group) => group.width));
}

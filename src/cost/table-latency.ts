import { usageError } from '../errors.js';
import type { GraphNode } from '../graph/types.js';
import { describeLayerGeometry, sameLayerGeometry } from './graph-fingerprint.js';
import type { LatencyModel, LayerAtWidths } from './latency-model.js';
import { interpolateLatency, latencySlopes, measuredOn, type LatencyTable, type LatencyTableLayer } from './latency-table.js';
import { scaleForm, type LinearForm } from './linear-form.js';

/** The command that measures a table again, for hints. */
export function remeasureCommand(table: Pick<LatencyTable, 'model' | 'backend' | 'threads' | 'batch'>, path: string, model = table.model): string {
  const threads = table.threads ? ` --threads ${table.threads}` : '';
  return `morphnet latency -m ${model} --backend ${table.backend}${threads} --batch ${table.batch} -o ${path}`;
}

/**
 * Latency read from a measured table: each layer's time interpolated at its widths within their
 * kernel-path classes, plus the table's overhead once; the regularizer weights are the table's
 * slopes at the current widths (`latencySlopes`: the slope of the width's own class, never the
 * jump to the next): per input channel on the input's channels, per output channel on the
 * output's. Any layer of the costed network must be in the table with the same class and
 * spatial shapes (its widths may differ: a narrower or wider structure of the measured model).
 */
export class TableLatency implements LatencyModel {
  readonly description: string;
  readonly overheadMs: number;
  private readonly byName: Map<string, LatencyTableLayer>;

  constructor(
    readonly table: LatencyTable,
    readonly path: string,
  ) {
    this.description = `measured on ${measuredOn(table)}: ${path}`;
    this.overheadMs = table.overheadMs;
    this.byName = new Map(table.layers.map((layer) => [layer.name, layer]));
  }

  layerMs(layer: LayerAtWidths): number {
    const entry = this.entryFor(layer.node);
    return entry ? interpolateLatency(entry, layer.inWidth, layer.outWidth) : 0;
  }

  layerForm(layer: LayerAtWidths): LinearForm {
    const entry = this.entryFor(layer.node);
    if (!entry) return [];
    const { perInput, perOutput } = latencySlopes(entry, layer.inWidth, layer.outWidth);
    return [...(perInput !== 0 ? scaleForm(layer.inputForm(), perInput) : []), ...(perOutput !== 0 ? scaleForm(layer.outputForm(), perOutput) : [])];
  }

  /** The table's entry for a layer; input layers run nothing. A layer the table lacks is an error naming it. */
  private entryFor(node: GraphNode): LatencyTableLayer | undefined {
    if (node.className === 'InputLayer') return undefined;
    const entry = this.byName.get(node.id);
    if (entry && sameLayerGeometry(entry, node)) return entry;
    const found = entry ? `it has ${describeLayerGeometry(entry.className, entry.inputShapes[0])} there` : 'it has no layer of that name';
    throw usageError(
      `latency table ${this.path} was measured for ${this.table.model} (fingerprint ${this.table.fingerprint}) and does not fit this model: layer "${node.id}" (${describeLayerGeometry(node.className, node.inputShapes[0])}): ${found}`,
      `measure a table for this model: ${remeasureCommand(this.table, this.path, 'MODEL')}`,
    );
  }
}

import type { GraphNode } from '../graph/types.js';
import type { LinearForm } from './linear-form.js';

/** A layer as a latency model sees it, at the widths being costed. */
export interface LayerAtWidths {
  node: GraphNode;
  /** Whether the layer has MACs (conv, depthwise, dense): the only layers a roofline costs. */
  isFlopLayer: boolean;
  /** Alive channels of the first input (the flattened size after Flatten) and of the output. */
  inWidth: number;
  outWidth: number;
  batchSize: number;
  /** MACs at batch 1 and bytes moved at the batch size, as numbers and in differentiable form. */
  macs(): number;
  bytes(): number;
  macForm(): LinearForm;
  bytesForm(): LinearForm;
  /** Weight 1 on each input (output) channel entry: multiply by a time per channel. */
  inputForm(): LinearForm;
  outputForm(): LinearForm;
}

/**
 * How long a network takes, layer by layer: the roofline formula of MorphNet's hardware table,
 * or a table measured on a backend (`morphnet latency`). The latency resource and its
 * regularizer both come from here, so they cannot drift.
 */
export interface LatencyModel {
  /** What the figures are, for cost outputs: `roofline`, `measured on wasm, 2 threads, batch 1`. */
  readonly description: string;
  /** Time outside the layers, in ms, added once to a network's total. */
  readonly overheadMs: number;
  /** Time of one layer at these widths, in ms. */
  layerMs(layer: LayerAtWidths): number;
  /** The layer's time in differentiable form over channel scores, the current widths held constant. */
  layerForm(layer: LayerAtWidths): LinearForm;
}

import type * as tf from '@tensorflow/tfjs';
import { analyzeChannels, type ChannelAnalysis } from '../graph/channel-groups.js';
import { buildLayerGraph } from '../graph/build-graph.js';
import { CostModel, type CostOptions, type CostTotals, type LayerCost } from './cost-model.js';
import { isTableHardware, latencyModelOf, type Hardware } from './hardware.js';

/** Stated in every cost output, so numbers are never read with the wrong convention. */
export const COUNTING_CONVENTIONS = {
  macs: 'multiply-accumulates of Conv2D, DepthwiseConv2D, SeparableConv2D, Conv2DTranspose and Dense at batch 1',
  flops: '2 * macs (MorphNet convention); bias, BN, activations, pooling and adds count 0',
  params: 'trainable parameters (kernels, biases, BN gamma/beta), as Keras counts trainable params',
  totalParams: 'params plus non-trainable ones (BN moving statistics), as model.countParams() does',
  activations: 'output channels of FLOP layers (MorphNet activation cost)',
  activationElements: 'H*W*C of the outputs of FLOP layers, summed',
  latency: 'roofline per FLOP layer, max(FLOPs / peak, bytes / bandwidth), float32, in ms at the batch size; with a measured table (hardware: {NAME: {table: ...}}), every layer interpolated from the table plus its overhead once',
};

export interface GroupSummary {
  id: number;
  width: number;
  layers: string[];
  sources: string[];
  fixed: boolean;
  fixedReasons: string[];
}

export interface CostReport {
  conventions: typeof COUNTING_CONVENTIONS;
  hardware?: HardwareSummary;
  totals: CostTotals;
  layers: LayerCost[];
  groups: GroupSummary[];
  barriers: Array<{ name: string; className: string; reason: string }>;
}

/** The hardware of a cost output: a roofline's peak and bandwidth, or a table's path and overhead. */
export interface HardwareSummary {
  name: string;
  /** `roofline`, or `measured on wasm, 2 threads at batch 1 (PATH)`. */
  latencyModel: string;
  batchSize: number;
  peakGflops?: number;
  bandwidthGBps?: number;
  table?: string;
  /** A table's time outside the layers, included once in the total latency. */
  overheadMs?: number;
}

export function summarizeHardware(hardware: Hardware, batchSize: number): HardwareSummary {
  const latencyModel = latencyModelOf(hardware).description;
  if (isTableHardware(hardware)) return { name: hardware.name, latencyModel, batchSize, table: hardware.path, overheadMs: hardware.table.overheadMs };
  return { name: hardware.name, latencyModel, batchSize, peakGflops: hardware.peakGflops, bandwidthGBps: hardware.bandwidthGBps };
}

export function summarizeGroups(analysis: ChannelAnalysis): GroupSummary[] {
  return analysis.groups.map((g) => ({
    id: g.id,
    width: g.width,
    layers: g.members.map((m) => m.nodeId),
    sources: g.sources,
    fixed: g.fixed,
    fixedReasons: g.fixedReasons,
  }));
}

/** Everything `morphnet cost` shows: per-layer costs, totals, groups and barriers. */
export function countModel(model: tf.LayersModel, options: CostOptions & { inputShape?: number[] } = {}): CostReport {
  const analysis = analyzeChannels(buildLayerGraph(model, { inputShape: options.inputShape }));
  const costModel = new CostModel(analysis);
  const { layers, totals } = costModel.evaluate(costModel.allAlive(), options);
  return {
    conventions: COUNTING_CONVENTIONS,
    ...(options.hardware ? { hardware: summarizeHardware(options.hardware, options.batchSize ?? 1) } : {}),
    totals,
    layers,
    groups: summarizeGroups(analysis),
    barriers: analysis.barriers.map((b) => ({ name: b.nodeId, className: b.className, reason: b.reason })),
  };
}

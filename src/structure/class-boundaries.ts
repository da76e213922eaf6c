import { DEPTHWISE_CHANNEL_VECTOR, RESULT_CHANNEL_TILE } from '../backend/wasm-kernels/kernel-paths.js';
import type { CostOptions, Resource } from '../cost/cost-model.js';
import { isTableHardware } from '../cost/hardware.js';

/**
 * Whether a structure can cost less in `resource` with a group made wider. FLOPs, size,
 * activations and the roofline's latency grow with every width; latency read from a measured
 * table need not: a width's kernel-path class decides its time (on wasm 31 result channels run
 * XNNPACK and can take longer than 32 on convolution.wat's whole tiles), and measured samples
 * carry noise. Solvers that assume cost grows with width look further only where this is true.
 */
export function costMayFallWithWidth(resource: Resource, costOptions: CostOptions = {}): boolean {
  return resource === 'latency' && costOptions.hardware !== undefined && isTableHardware(costOptions.hardware);
}

/** The smallest step between widths where a wasm kernel path changes (kernel-paths.ts): depthwise.wat's vector. */
const CLASS_STEP = DEPTHWISE_CHANNEL_VECTOR;

/**
 * The widths above `width`, up to the next multiple of 8, where a wasm kernel path can change:
 * the multiples of 4 (depthwise.wat's vectors; convolution.wat's tiles of 8, its smallest
 * reduction 8 and padded result 32 are multiples of 4 too). A group whose next channel does not
 * fit may reach a faster path at one of these.
 */
export function classBoundariesAbove(width: number): number[] {
  const last = (Math.floor(width / RESULT_CHANNEL_TILE) + 1) * RESULT_CHANNEL_TILE;
  const boundaries: number[] = [];
  for (let boundary = (Math.floor(width / CLASS_STEP) + 1) * CLASS_STEP; boundary <= last; boundary += CLASS_STEP) boundaries.push(boundary);
  return boundaries;
}

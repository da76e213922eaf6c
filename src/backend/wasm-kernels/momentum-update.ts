import { readFileSync } from 'node:fs';
import { heapOf, memoryOf } from '../wasm-internals.js';
import { binaryPath } from './simd-kernels.js';

/** Heap byte offsets of one variable's momentum update (momentum.wat), and its element count. */
export interface MomentumPointers {
  gradient: number;
  accumulation: number;
  /** Where the new accumulation goes: `accumulation` itself for an update in place. */
  accumulationOut: number;
  value: number;
  /** Where the new value goes: `value` itself for an update in place. */
  valueOut: number;
  count: number;
  /** The float32 scalars holding the momentum and -learningRate. */
  momentum: number;
  negativeRate: number;
}

type UpdateExport = (gradient: number, accumulation: number, accumulationOut: number, value: number, valueOut: number, count: number, momentum: number, negativeRate: number) => void;

interface MomentumExports {
  momentum_update: UpdateExport;
  nesterov_update: UpdateExport;
}

/**
 * One instance per backend memory, on the calling thread only: the update reads and writes
 * each float once (memory-bound, about 5 floats per weight), so it gains nothing from the
 * worker pool, and the pool passes i32 arguments only.
 */
const instances = new WeakMap<WebAssembly.Memory, MomentumExports>();

function kernelsOn(memory: WebAssembly.Memory): MomentumExports {
  let kernels = instances.get(memory);
  if (!kernels) {
    const module = new WebAssembly.Module(readFileSync(binaryPath('momentum', memory.buffer instanceof SharedArrayBuffer)));
    kernels = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as MomentumExports;
    instances.set(memory, kernels);
  }
  return kernels;
}

/** Runs one variable's momentum (or Nesterov) update on a wasm backend's heap, as tfjs's MomentumOptimizer computes it. */
export function runMomentumUpdate(backend: object, pointers: MomentumPointers, nesterov: boolean): void {
  const heap = heapOf(backend);
  if (!heap) throw new Error('runMomentumUpdate: not a wasm backend');
  const kernels = kernelsOn(memoryOf(heap));
  const update = nesterov ? kernels.nesterov_update : kernels.momentum_update;
  const { gradient, accumulation, accumulationOut, value, valueOut, count, momentum, negativeRate } = pointers;
  update(gradient, accumulation, accumulationOut, value, valueOut, count, momentum, negativeRate);
}

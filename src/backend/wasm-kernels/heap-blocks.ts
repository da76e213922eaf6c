import type { TensorInfo } from '@tensorflow/tfjs';
import type { EmscriptenHeap, WasmBackend } from '../wasm-internals.js';
import { simdKernelsFor } from './simd-kernels.js';

export type { WasmBackend } from '../wasm-internals.js';

/**
 * Scratch blocks on the wasm heap for one kernel call, all freed by `free`. Views of the heap
 * are made afresh on each use: an allocation may grow the memory.
 */
export class HeapBlocks {
  private readonly blocks: number[] = [];

  constructor(
    private readonly heap: EmscriptenHeap,
    private readonly memory: WebAssembly.Memory,
  ) {}

  allocate(bytes: number): number {
    const pointer = this.heap._malloc(bytes) >>> 0;
    if (pointer === 0) throw new Error(`the wasm heap has no room for ${bytes} more bytes`);
    this.blocks.push(pointer);
    return pointer;
  }

  floats(): Float32Array {
    return new Float32Array(this.memory.buffer);
  }

  ints(): Int32Array {
    return new Int32Array(this.memory.buffer);
  }

  /** `pointer` when `slack` bytes after its `bytes` are inside the memory, else a copy with room after it. */
  withSlack(pointer: number, bytes: number, slack: number): number {
    if (pointer + bytes + slack <= this.memory.buffer.byteLength) return pointer;
    const copy = this.allocate(bytes + slack);
    new Uint8Array(this.memory.buffer).copyWithin(copy, pointer, pointer + bytes);
    return copy;
  }

  free(): void {
    for (const pointer of this.blocks) this.heap._free(pointer);
    this.blocks.length = 0;
  }
}

/**
 * A new float32 tensor of `shape`, written by `write` with scratch blocks on the heap (all
 * freed after). If `write` throws, the tensor is released too.
 */
export function writeNewTensor(backend: WasmBackend, shape: number[], write: (result: TensorInfo, scratch: HeapBlocks) => void): TensorInfo {
  const kernels = simdKernelsFor(backend);
  const scratch = new HeapBlocks(kernels.heap, kernels.memory);
  const result = backend.makeOutput(shape, 'float32');
  try {
    write(result, scratch);
    return result;
  } catch (error) {
    backend.disposeData(result.dataId);
    throw error;
  } finally {
    scratch.free();
  }
}

import { describe, expect, it } from 'vitest';
import type { EmscriptenHeap } from '../wasm-internals.js';
import { HeapGuard } from './heap-guard.js';

/**
 * A bump allocator standing in for Emscripten's malloc: blocks at 1024, 1024 + 16-aligned size,
 * ...; free records the pointers it got. Like Emscripten, its first call of each function
 * replaces the property with the "real" one (the guard must survive that).
 */
function bumpHeap(memory: WebAssembly.Memory) {
  let next = 1024;
  const freed: number[] = [];
  const heap: EmscriptenHeap = {
    wasmMemory: memory,
    _malloc(bytes: number) {
      heap._malloc = (n: number) => {
        const pointer = next;
        next += Math.ceil(n / 16) * 16;
        return pointer;
      };
      return heap._malloc(bytes);
    },
    _free(pointer: number) {
      heap._free = (p: number) => void freed.push(p);
      heap._free(pointer);
    },
  };
  return { heap, freed };
}

describe('HeapGuard', () => {
  const setup = () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const { heap, freed } = bumpHeap(memory);
    const guard = new HeapGuard(heap, memory);
    guard.install();
    return { memory, heap, freed, guard, bytes: () => new Uint8Array(memory.buffer) };
  };

  it('gives blocks between 64-byte guards and passes the raw pointer back to free', () => {
    const { heap, freed, guard } = setup();
    // The constructor's binding call took [1024, 1040); the guarded block's raw allocation is
    // 10 + 2 * 64 = 138 bytes at 1040, so the caller's pointer is 1040 + 64 = 1104.
    const pointer = heap._malloc(10);
    expect(pointer).toBe(1104);
    expect(guard.check()).toEqual([]);
    heap._free(pointer);
    guard.uninstall();
    // 1024 at binding, then the raw 1040 once released from quarantine.
    expect(freed).toEqual([1024, 1040]);
  });

  it('finds a write one byte past the end, and one just before the start', () => {
    const { heap, guard, bytes } = setup();
    const pointer = heap._malloc(10);
    bytes()[pointer + 10] = 1;
    bytes()[pointer - 1] = 1;
    expect(guard.check()).toEqual([`before: 10-byte block at ${pointer}, byte -1`, `after: 10-byte block at ${pointer}, byte 10`]);
    expect(guard.check()).toEqual([]);
  });

  it('finds a write into a freed block still in quarantine', () => {
    const { heap, guard, bytes } = setup();
    const pointer = heap._malloc(32);
    heap._free(pointer);
    bytes()[pointer + 31] = 0;
    expect(guard.check()).toEqual([`written after free: 32-byte block at ${pointer}, byte 31`]);
  });

  it('finds a change to a live block since a snapshot, except in the allowed ones', () => {
    const { heap, guard, bytes } = setup();
    const [a, b] = [heap._malloc(8), heap._malloc(8)];
    const before = guard.snapshot();
    bytes()[a + 3] ^= 0xff;
    bytes()[b] ^= 0xff;
    expect(guard.unchangedSince(before, new Set([b]))).toEqual([`8-byte block at ${a} changed at byte 3`]);
  });

  it('refuses to check once something replaced its hooks', () => {
    const { heap, guard } = setup();
    heap._malloc = () => 0;
    expect(() => guard.check()).toThrow(/unhooked/);
  });
});

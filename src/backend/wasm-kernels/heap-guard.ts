import type { EmscriptenHeap } from '../wasm-internals.js';

/** Bytes of canary before and after every block (a multiple of 16: blocks keep malloc's alignment). */
const GUARD_BYTES = 64;
const GUARD_BYTE = 0xa5;
/** Freed blocks are filled with this and held back from malloc for a while. */
const FREED_BYTE = 0xdb;
const QUARANTINE_BLOCKS = 64;

interface Block {
  /** What the caller got from _malloc (the user's pointer). */
  pointer: number;
  bytes: number;
}

/** A fault found by `check`: which block, what was overwritten, where (byte offset from the block's start). */
export interface GuardFault {
  block: Block;
  kind: 'before' | 'after' | 'written after free';
  offset: number;
}

const describe = ({ block, kind, offset }: GuardFault) => `${kind}: ${block.bytes}-byte block at ${block.pointer}, byte ${offset}`;

/** The first byte of `bytes[from, to)` that is not `value`, or -1. */
function firstChanged(bytes: Uint8Array, from: number, to: number, value: number): number {
  for (let i = from; i < to; i++) if (bytes[i] !== value) return i;
  return -1;
}

/** The first index where `copy` differs from `heap` at `pointer`, or -1. */
function firstDifference(heap: Uint8Array, pointer: number, copy: Uint8Array): number {
  for (let i = 0; i < copy.length; i++) if (heap[pointer + i] !== copy[i]) return i;
  return -1;
}

/**
 * A debugging heap over an Emscripten module's _malloc and _free (the tfjs wasm backend's
 * tensors and our scratch blocks are all allocated through them): every block gets canary
 * bytes before and after it, and freed blocks are filled with another pattern and held back
 * (not reused) for the next QUARANTINE_BLOCKS frees. `check` then finds a write past either end
 * of a live block, or into a recently freed one; `unchangedSince` finds a write into blocks a
 * kernel should not have touched. Blocks allocated before `install` are passed through.
 */
export class HeapGuard {
  private readonly live = new Map<number, Block>();
  private readonly quarantine: Block[] = [];
  private readonly original: Pick<EmscriptenHeap, '_malloc' | '_free'>;
  readonly faults: GuardFault[] = [];

  constructor(
    private readonly heap: EmscriptenHeap,
    private readonly memory: WebAssembly.Memory,
  ) {
    // Emscripten binds _malloc and _free lazily: the first call of each replaces the module's
    // property with the wasm export, which would undo `install`. One call of each binds them.
    heap._free(heap._malloc(16));
    this.original = { _malloc: heap._malloc, _free: heap._free };
  }

  private readonly hooks = { _malloc: (bytes: number) => this.malloc(bytes), _free: (pointer: number) => this.free(pointer) };

  install(): void {
    Object.assign(this.heap, this.hooks);
  }

  /** Puts the module's own functions back (blocks still quarantined are released). */
  uninstall(): void {
    this.heap._malloc = this.original._malloc;
    this.heap._free = this.original._free;
    for (const block of this.quarantine.splice(0)) this.original._free(block.pointer - GUARD_BYTES);
  }

  private bytes(): Uint8Array {
    return new Uint8Array(this.memory.buffer);
  }

  private malloc(bytes: number): number {
    const raw = this.original._malloc(bytes + 2 * GUARD_BYTES) >>> 0;
    if (raw === 0) return 0;
    const pointer = raw + GUARD_BYTES;
    const heap = this.bytes();
    heap.fill(GUARD_BYTE, raw, pointer);
    heap.fill(GUARD_BYTE, pointer + bytes, pointer + bytes + GUARD_BYTES);
    this.live.set(pointer, { pointer, bytes });
    return pointer;
  }

  private free(pointer: number): void {
    const block = this.live.get(pointer >>> 0);
    if (!block) {
      this.original._free(pointer);
      return;
    }
    this.checkGuards(block);
    this.live.delete(block.pointer);
    this.bytes().fill(FREED_BYTE, block.pointer, block.pointer + block.bytes);
    this.quarantine.push(block);
    if (this.quarantine.length > QUARANTINE_BLOCKS) this.release(this.quarantine.shift()!);
  }

  private release(block: Block): void {
    this.checkFreed(block);
    this.original._free(block.pointer - GUARD_BYTES);
  }

  /** Records a fault if any byte of [from, to) is not `value`, and writes `value` back (each write is reported once). */
  private expectFilled(block: Block, kind: GuardFault['kind'], [from, to]: [number, number], value: number): void {
    const heap = this.bytes();
    const changed = firstChanged(heap, from, to, value);
    if (changed < 0) return;
    this.faults.push({ block, kind, offset: changed - block.pointer });
    heap.fill(value, from, to);
  }

  private checkGuards(block: Block): void {
    const end = block.pointer + block.bytes;
    this.expectFilled(block, 'before', [block.pointer - GUARD_BYTES, block.pointer], GUARD_BYTE);
    this.expectFilled(block, 'after', [end, end + GUARD_BYTES], GUARD_BYTE);
  }

  private checkFreed(block: Block): void {
    this.expectFilled(block, 'written after free', [block.pointer, block.pointer + block.bytes], FREED_BYTE);
  }

  /** Checks every live and quarantined block now; returns the faults found so far (also at frees), described. */
  check(): string[] {
    if (this.heap._malloc !== this.hooks._malloc || this.heap._free !== this.hooks._free) throw new Error('the heap guard was unhooked: blocks it allocated may be freed without it');
    for (const block of this.live.values()) this.checkGuards(block);
    for (const block of this.quarantine) this.checkFreed(block);
    const found = this.faults.map(describe);
    this.faults.length = 0;
    return [...new Set(found)];
  }

  /** A copy of every live block's bytes, for `unchangedSince`. */
  snapshot(): Map<number, Uint8Array> {
    const heap = this.bytes();
    return new Map([...this.live.values()].map((block) => [block.pointer, heap.slice(block.pointer, block.pointer + block.bytes)]));
  }

  /**
   * Blocks of `before` still live whose bytes changed, except `allowed` pointers (a kernel's
   * own outputs): a kernel that writes anywhere but its outputs and fresh scratch shows here.
   */
  unchangedSince(before: Map<number, Uint8Array>, allowed: Set<number> = new Set()): string[] {
    const heap = this.bytes();
    const changed: string[] = [];
    for (const [pointer, bytes] of before) {
      if (allowed.has(pointer) || this.live.get(pointer)?.bytes !== bytes.length) continue;
      const at = firstDifference(heap, pointer, bytes);
      if (at >= 0) changed.push(`${bytes.length}-byte block at ${pointer} changed at byte ${at}`);
    }
    return changed;
  }
}

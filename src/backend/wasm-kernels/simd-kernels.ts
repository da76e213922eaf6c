import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { heapOf, memoryOf, type EmscriptenHeap } from '../wasm-internals.js';
import { KernelThreads } from './kernel-threads.js';

export type { EmscriptenHeap } from '../wasm-internals.js';

/** Our SIMD kernel modules (src/backend/wasm-kernels/*.wat, assembled by scripts/build-wasm.mjs). */
const MODULES = {
  'filter-gradient': ['filter_grad'],
  convolution: ['conv_forward', 'conv_input_grad', 'compact_rows'],
  'batch-norm': ['sums', 'sq_dev_sums', 'grad_sums', 'affine', 'affine2'],
  'relu-grad': ['relu_grad'],
  clip: ['clamp', 'clip_grad'],
  depthwise: ['dw_forward_padded', 'dw_input_grad', 'dw_filter_grad', 'pad_image', 'expand_rows', 'contract_rows'],
} as const;
type ModuleName = keyof typeof MODULES;

/** dist/wasm/, from src/backend/wasm-kernels (tests) or dist/src/backend/wasm-kernels (the CLI). */
export function binaryPath(name: string, shared: boolean): string {
  const file = `${name}${shared ? '.shared' : ''}.wasm`;
  const candidates = [`../../../dist/wasm/${file}`, `../../../wasm/${file}`].map((relative) => fileURLToPath(new URL(relative, import.meta.url)));
  const found = candidates.find((path) => existsSync(path));
  if (!found) throw new Error(`${file} not found (looked in ${candidates.join(', ')}): run \`npm run build\``);
  return found;
}

/**
 * SIMD kernels running on the heap of one tfjs wasm backend: every module is instantiated on
 * that backend's memory, so kernels read and write tfjs tensors in place, and runs on one pool
 * of as many threads as the backend's own (each worker holds an instance of every module).
 */
export class SimdKernels {
  private constructor(
    readonly heap: EmscriptenHeap,
    readonly memory: WebAssembly.Memory,
    private readonly pool: KernelThreads,
  ) {}

  static async start(heap: EmscriptenHeap, threads: number): Promise<SimdKernels> {
    const memory = memoryOf(heap);
    const shared = memory.buffer instanceof SharedArrayBuffer;
    const modules = await Promise.all(
      (Object.entries(MODULES) as Array<[ModuleName, readonly string[]]>).map(async ([name, exportNames]) => ({
        name,
        module: await WebAssembly.compile(readFileSync(binaryPath(name, shared))),
        exportNames: [...exportNames],
      })),
    );
    return new SimdKernels(heap, memory, await KernelThreads.start(modules, memory, shared ? threads : 1));
  }

  /** Threads a kernel may split its work between. */
  get threads(): number {
    return this.pool.threads;
  }

  run(name: ModuleName, exportName: string, jobs: number[][]): void {
    this.pool.run(`${name}.${exportName}`, jobs);
  }

  async stop(): Promise<void> {
    await this.pool.stop();
  }
}

/**
 * Below this many floats a memory-bound pass (batch-norm.wat, relu-grad.wat) runs on the
 * calling thread alone: waking a worker cost more than it saved (zoo:cnn, batch 64, whose
 * largest activation is 1.6M floats: 1.5 ms a step faster on one thread; zoo:resnet-small's
 * 8.4M the same either way).
 */
export const PARALLEL_PASS_MIN_FLOATS = 1 << 21;

/** [begin, end) ranges splitting `count` items into at most `parts` nearly equal, non-empty parts. */
export function splitRange(count: number, parts: number): Array<[number, number]> {
  const n = Math.max(0, Math.min(parts, count));
  return Array.from({ length: n }, (_, k) => [Math.floor((k * count) / n), Math.floor(((k + 1) * count) / n)]);
}

let active: SimdKernels | undefined;

/** Starts the kernels for a newly created wasm backend, ending those of the previous one. */
export async function startSimdKernels(heap: EmscriptenHeap, threads: number): Promise<void> {
  await active?.stop();
  active = undefined;
  active = await SimdKernels.start(heap, threads);
}

/** The kernels on this backend's heap. */
export function simdKernelsFor(backend: object): SimdKernels {
  const heap = heapOf(backend);
  if (!active || active.heap !== heap) throw new Error('SIMD kernels were not started for this wasm backend (register it with registerWasmBackend)');
  return active;
}

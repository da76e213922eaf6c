import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { DataId, KernelBackend, TensorInfo } from '@tensorflow/tfjs';
import { MorphnetError } from '../errors.js';

/**
 * Every private part of @tensorflow/tfjs-backend-wasm this project touches, in one place: the
 * files of its wasm-out/ folder, its Emscripten module's fields and exports, and the internals
 * of its BackendWasm class. None of them is public API; they were read from version
 * PINNED_TFJS_VERSION, which package.json pins exactly and `checkTfjsVersions` enforces at
 * start-up. Moving to another version means re-reading each item below.
 */
export const PINNED_TFJS_VERSION = '4.22.0';

const require = createRequire(import.meta.url);
const WASM_PACKAGE = '@tensorflow/tfjs-backend-wasm';

/** The versions that matter: tfjs (core and layers, whose classes the training paths patch) and the wasm backend. */
export function installedTfjsVersions(): Record<string, string> {
  const versions: Record<string, string> = { '@tensorflow/tfjs': tf.version.tfjs, '@tensorflow/tfjs-core': tf.version['tfjs-core'], '@tensorflow/tfjs-layers': tf.version['tfjs-layers'] };
  try {
    versions[WASM_PACKAGE] = (require(`${WASM_PACKAGE}/package.json`) as { version: string }).version;
  } catch {
    // Not installed: the wasm backend is then skipped with its own message.
  }
  return versions;
}

/** Refuses tfjs packages other than the pinned version, naming each and the fix. */
export function checkTfjsVersions(installed: Record<string, string> = installedTfjsVersions()): void {
  const wrong = Object.entries(installed).filter(([, version]) => version !== PINNED_TFJS_VERSION);
  if (wrong.length === 0) return;
  throw new MorphnetError(
    'runtime',
    `${wrong.map(([name, version]) => `${name} ${version}`).join(', ')} installed, expected ${PINNED_TFJS_VERSION}: morphnet uses internals of the wasm backend and patches tfjs-layers classes as they are in ${PINNED_TFJS_VERSION}`,
    `run \`npm install\` in the morphnet folder to restore the pinned ${PINNED_TFJS_VERSION} (package.json pins it exactly; do not upgrade @tensorflow packages on their own)`,
  );
}

/** The package's build files, in its wasm-out/ folder. */
export interface WasmBuildFiles {
  /** The Emscripten loader script (a CommonJS factory). */
  script: string;
  binary: string;
  /** Threaded build: the pthread worker's source, shipped as a string export meant for a blob: URL. */
  workerSource?: () => string;
}

export function wasmBuildFiles(threaded: boolean): WasmBuildFiles & { version: string } {
  const packageJson = require.resolve(`${WASM_PACKAGE}/package.json`);
  const wasmOut = join(dirname(packageJson), 'wasm-out');
  const { version } = require(packageJson) as { version: string };
  if (!threaded) return { version, script: join(wasmOut, 'tfjs-backend-wasm.js'), binary: join(wasmOut, 'tfjs-backend-wasm-simd.wasm') };
  return {
    version,
    script: join(wasmOut, 'tfjs-backend-wasm-threaded-simd.js'),
    binary: join(wasmOut, 'tfjs-backend-wasm-threaded-simd.wasm'),
    workerSource: () => (require(join(wasmOut, 'tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string }).wasmWorkerContents,
  };
}

/** What our kernels use of the backend's Emscripten module. */
export interface EmscriptenHeap {
  /** The threaded build's (shared) memory. */
  wasmMemory?: WebAssembly.Memory;
  /** The single-threaded build exports its memory instead. */
  asm?: { memory?: WebAssembly.Memory };
  _malloc(bytes: number): number;
  _free(pointer: number): void;
}

export interface EmscriptenModule extends EmscriptenHeap {
  cwrap(name: string, returnType: string | null, argTypes: string[]): (...args: number[]) => number;
  /** The C++ exports BackendWasm calls, bound by the package's own init (done here instead, see createBackendWasm). */
  tfjs?: Record<string, (...args: number[]) => number>;
  /** Emscripten's pthread bookkeeping (threaded build only): the Node Workers behind the pool. */
  PThread?: { runningWorkers: Array<{ unref(): void }>; unusedWorkers: Array<{ unref(): void }> };
}

/** The module's memory, wherever the build keeps it. */
export function memoryOf(heap: EmscriptenHeap): WebAssembly.Memory {
  const memory = heap.wasmMemory ?? heap.asm?.memory;
  if (!memory) throw new Error('the wasm backend exposes no memory');
  return memory;
}

/** Emscripten refs a worker while it runs a pthread, and the pool's threads run for good: unref them all, or they would keep Node alive. */
export function unrefPthreadWorkers(module: EmscriptenModule): void {
  const pthreads = module.PThread;
  for (const worker of [...(pthreads?.runningWorkers ?? []), ...(pthreads?.unusedWorkers ?? [])]) worker.unref();
}

/**
 * A BackendWasm on a module we started ourselves: binds the C++ exports the class calls (as the
 * package's init does) and sets its thread count first.
 */
export async function createBackendWasm(module: EmscriptenModule, threads: number): Promise<KernelBackend> {
  const wasmPackage = await import('@tensorflow/tfjs-backend-wasm');
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  wasmPackage.setThreadsCount(threads);
  return new wasmPackage.BackendWasm(module as never);
}

/** Threads in the running wasm backend's pool. */
export async function wasmThreadsCount(): Promise<number> {
  return (await import('@tensorflow/tfjs-backend-wasm')).getThreadsCount();
}

/** The parts of BackendWasm a kernel on its heap uses. */
export interface WasmBackend extends KernelBackend {
  makeOutput(shape: number[], dtype: 'float32', memoryOffset?: number, values?: Float32Array): TensorInfo;
  getMemoryOffset(dataId: DataId): number;
}

/** The Emscripten module of a BackendWasm (its `wasm` field). */
export function heapOf(backend: object): EmscriptenHeap | undefined {
  return (backend as { wasm?: EmscriptenHeap }).wasm;
}

/** One more reference to a tensor's data (BackendWasm's incRef), so a kernel can return its input without copying. */
export function shareData(backend: object, dataId: DataId): void {
  (backend as { incRef(dataId: DataId): void }).incRef(dataId);
}

/** BackendWasm's record of one tensor's data (an entry of its `dataIdMap`). */
interface WasmTensorData {
  id: number;
  memoryOffset: number;
  shape: number[];
}

/** The BackendWasm fields `renewDataNumber` uses. */
interface BackendWasmRecords {
  wasm: EmscriptenModule;
  dataIdMap: { get(dataId: DataId): WasmTensorData | undefined };
  dataIdNextNumber: number;
}

/**
 * Declares that a tensor's data was overwritten in place. The C++ side keys work it caches by a
 * tensor's number (BackendWasm's `id` for the data) and drops it when that number is disposed:
 * MatMul's XNNPACK operator packs a copy of its weights when created, so after a write into a
 * variable's heap memory `tf.matMul` went on returning the old product (measured). The number is
 * disposed on the C++ side (running those disposal callbacks; this frees no memory, JS owns it)
 * and the same memory registered under a fresh number, as when tfjs writes a new tensor.
 */
export function renewDataNumber(backend: object, dataId: DataId): void {
  const records = backend as BackendWasmRecords;
  const data = records.dataIdMap.get(dataId);
  const calls = records.wasm.tfjs;
  if (!data || !calls) throw new Error('renewDataNumber: the data is not on this wasm backend');
  calls.disposeData(data.id);
  data.id = records.dataIdNextNumber++;
  calls.registerTensor(data.id, data.shape.reduce((a, b) => a * b, 1), data.memoryOffset);
}

import { createRequire } from 'node:module';
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { createBackendWasm, unrefPthreadWorkers, wasmBuildFiles, type EmscriptenModule } from './wasm-internals.js';
import { startSimdKernels } from './wasm-kernels/simd-kernels.js';

const require = createRequire(import.meta.url);

/** The backend pre-starts 8 pthread workers and never uses more. */
export const WASM_MAX_THREADS = 8;

/**
 * The threaded build's pthread worker as a file: Node's Worker needs one, the package ships the
 * source as a string meant for a blob: URL. Written once per package version to the temp
 * directory. The template literal turned the source's `\n` escapes into newlines, which would
 * end its string literals: they are escaped back, as the package does for its blob.
 */
function workerScript(workerSource: () => string, version: string): string {
  const path = join(tmpdir(), `morphnet-tfjs-wasm-${version}-${process.getuid?.() ?? 0}.worker.js`);
  if (!existsSync(path)) {
    const temp = `${path}.${process.pid}.tmp`;
    writeFileSync(temp, workerSource().replace(/\n/g, '\\n'));
    renameSync(temp, path);
  }
  return path;
}

/**
 * The build to load: with threads, the threaded SIMD build and its worker script; without, the
 * plain loader with the SIMD binary (no workers at all).
 */
function buildFiles(threaded: boolean): { script: string; binary: string; worker?: string } {
  const { script, binary, workerSource, version } = wasmBuildFiles(threaded);
  return { script, binary, ...(workerSource ? { worker: workerScript(workerSource, version) } : {}) };
}

/**
 * The backend's C++ sizes its thread pool from `emscripten_num_logical_cores() / 2` (it assumes
 * two hyperthreads per core), capped at 8, once, when the module starts; under Node that count
 * is `os.cpus().length`. So on a 2-core machine the pool would hold 1 thread whatever was asked.
 * While the module starts, the count reads as twice the threads wanted.
 */
async function withLogicalCores<T>(count: number, start: () => Promise<T>): Promise<T> {
  const cpus = os.cpus;
  const real = cpus();
  os.cpus = () => Array.from({ length: count }, (_, i) => real[i % real.length]);
  try {
    return await start();
  } finally {
    os.cpus = cpus;
  }
}

/**
 * Emscripten's module adds process handlers that rethrow uncaught exceptions and rejections:
 * an error then prints the whole minified module (one 100 kB line) as its source. They are
 * taken off again; morphnet's CLI reports its own errors.
 */
async function withoutProcessHandlers<T>(start: () => Promise<T>): Promise<T> {
  const events = ['uncaughtException', 'unhandledRejection'];
  const emitter = process as unknown as NodeJS.EventEmitter;
  const before = new Map(events.map((event) => [event, new Set(emitter.listeners(event))]));
  try {
    return await start();
  } finally {
    for (const event of events) {
      for (const listener of emitter.listeners(event)) if (!before.get(event)!.has(listener)) emitter.removeListener(event, listener as (...args: unknown[]) => void);
    }
  }
}

/**
 * Registers the `wasm` backend with a pool of `threads` (1: no pool). The package itself turns
 * threads off under Node: its loader hands the Emscripten workers `blob:` URLs, which Node's
 * Worker refuses (ERR_WORKER_PATH). Here the workers start from the worker script and the main
 * script as files. Workers are unref'd once loaded, so they do not keep the process alive.
 * Registering again replaces the backend (and ends its workers), so the pool size can change.
 */
export async function registerWasmBackend(threads: number): Promise<void> {
  const files = buildFiles(threads > 1);
  const factory = require(files.script) as (config: Record<string, unknown>) => Promise<EmscriptenModule>;
  if (tf.findBackend('wasm') || tf.findBackendFactory('wasm')) tf.removeBackend('wasm');
  tf.registerBackend(
    'wasm',
    async () => {
      const locateFile = (path: string) => (path.endsWith('.worker.js') && files.worker ? files.worker : path.endsWith('.wasm') ? files.binary : path);
      const module = await withoutProcessHandlers(() => withLogicalCores(2 * threads, () => factory(files.worker ? { locateFile, mainScriptUrlOrBlob: files.script } : { locateFile })));
      const backend = await createBackendWasm(module, threads);
      unrefPthreadWorkers(module);
      await startSimdKernels(module, threads);
      return backend;
    },
    2,
  );
}

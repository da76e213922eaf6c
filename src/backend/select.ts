import { createRequire } from 'node:module';
import { existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { MorphnetError } from '../errors.js';
import { installConvTrainingPath } from './conv-training.js';
import { installFusedBatchNorm } from './fused-batch-norm.js';
import { installClipGradient } from './clip-gradient.js';
import { installReluGradient } from './relu-gradient.js';
import { installSeparableConvConfig } from './separable-conv-config.js';
import { registerWasmTrainingKernels } from './wasm-kernels/register.js';
import { registerWasmBackend, WASM_MAX_THREADS } from './wasm-backend.js';
import { checkTfjsVersions, wasmThreadsCount } from './wasm-internals.js';

export const BACKEND_REQUESTS = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendRequest = (typeof BACKEND_REQUESTS)[number];

/** What was chosen, for run.json and the stderr notice. */
export interface BackendChoice {
  name: 'tensorflow' | 'wasm' | 'cpu';
  /** The npm package providing it. */
  package: string;
  /** tfjs backend name in use. */
  tfBackend: string;
  /** Why the preferred ones were passed over, in order. */
  skipped: string[];
  /** Threads of the wasm backend's pool (the native backend manages its own). */
  threads?: number;
  /** Set when `auto` ended on the cpu backend because wasm failed: why, and what it costs (a warning, and run.json). */
  fallback?: string;
}

const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;
const require = createRequire(import.meta.url);

let active: BackendChoice | undefined;

/** The native addon is built by the package's install script; without it `require` fails. */
function nativeBindingPresent(packageName: string): string | undefined {
  let packageJson: string;
  try {
    packageJson = require.resolve(`${packageName}/package.json`);
  } catch {
    return 'not installed';
  }
  const libDir = join(dirname(packageJson), 'lib');
  const hasBinding = existsSync(libDir) && findFile(libDir, (name) => name.endsWith('.node'));
  return hasBinding ? undefined : 'installed without its libtensorflow binding (its install script did not run or failed)';
}

function findFile(dir: string, match: (name: string) => boolean): boolean {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isFile() && match(entry.name)) return true;
    if (entry.isDirectory() && findFile(join(dir, entry.name), match)) return true;
  }
  return false;
}

/** Tries the native packages in order; requires at most one of them (two would double-register kernels). */
async function tryTensorflow(skipped: string[]): Promise<BackendChoice | undefined> {
  for (const packageName of NATIVE_PACKAGES) {
    const missing = nativeBindingPresent(packageName);
    if (missing) {
      skipped.push(`${packageName}: ${missing}`);
      continue;
    }
    try {
      require(packageName);
      await tf.setBackend('tensorflow');
      await tf.ready();
      return { name: 'tensorflow', package: packageName, tfBackend: 'tensorflow', skipped };
    } catch (error) {
      skipped.push(`${packageName}: failed to load (${(error as Error).message.split('\n')[0]})`);
      return undefined;
    }
  }
  return undefined;
}

/** All cores, the default pool size. */
export function defaultThreads(): number {
  return os.availableParallelism?.() ?? os.cpus().length;
}

let threadsRequest: number | undefined;

/** The thread count asked for on the command line: it wins over a config's `threads`. */
export function requestThreads(threads: number | undefined): void {
  threadsRequest = threads;
}

async function tryWasm(skipped: string[], threads: number): Promise<BackendChoice | undefined> {
  try {
    await registerWasmBackend(threads);
    registerWasmTrainingKernels();
    if (!(await tf.setBackend('wasm'))) throw new Error('setBackend("wasm") returned false');
    await tf.ready();
    return { name: 'wasm', package: '@tensorflow/tfjs-backend-wasm', tfBackend: 'wasm', skipped, threads: await wasmThreadsCount() };
  } catch (error) {
    skipped.push(`@tensorflow/tfjs-backend-wasm: failed to initialise (${(error as Error).message})`);
    return undefined;
  }
}

async function useCpu(skipped: string[]): Promise<BackendChoice> {
  await tf.setBackend('cpu');
  await tf.ready();
  return { name: 'cpu', package: '@tensorflow/tfjs (cpu)', tfBackend: 'cpu', skipped };
}

/** What an `auto` that ended on cpu says: wasm's failure (the last one skipped) and the cost. */
function cpuFallback(skipped: string[]): string {
  return `backend auto fell back to cpu (${skipped.at(-1)}): the cpu backend trains convolutions hundreds of times slower than wasm. Reinstall with npm install to get wasm back, or set backend: cpu to choose cpu knowingly`;
}

/**
 * Initialises tfjs. `auto` prefers tensorflow (gpu, then cpu build) > wasm > cpu. An explicit
 * request that cannot be met is an error naming what is missing and how to get it.
 */
export async function initBackend(request: BackendRequest = 'auto', configThreads?: number): Promise<BackendChoice> {
  checkTfjsVersions();
  const threads = Math.min(threadsRequest ?? configThreads ?? defaultThreads(), WASM_MAX_THREADS);
  const sameThreads = active?.name !== 'wasm' || active.threads === threads;
  if (active && (request === 'auto' || request === active.name) && sameThreads) return active;
  // Production mode: no "install tfjs-node" banner or debug warnings on the user's terminal.
  tf.env().set('PROD', true);
  const skipped: string[] = [];
  let choice: BackendChoice | undefined;
  if (request === 'auto' || request === 'tensorflow') choice = await tryTensorflow(skipped);
  if (!choice && request === 'tensorflow') {
    throw new MorphnetError(
      'usage',
      `--backend tensorflow: no working native backend (${skipped.join('; ')})`,
      'install @tensorflow/tfjs-node (or -gpu) on a machine that can download libtensorflow, or use --backend auto',
    );
  }
  if (!choice && (request === 'auto' || request === 'wasm')) choice = await tryWasm(skipped, threads);
  if (!choice && request === 'wasm') {
    throw new MorphnetError('runtime', `--backend wasm: ${skipped.at(-1)}`, 'reinstall with npm install, or use --backend cpu');
  }
  choice ??= await useCpu(skipped);
  if (request === 'auto' && choice.name === 'cpu') choice.fallback = cpuFallback(skipped);
  installFusedBatchNorm();
  installConvTrainingPath();
  installReluGradient();
  installClipGradient();
  installSeparableConvConfig();
  active = choice;
  return choice;
}

export function activeBackend(): BackendChoice | undefined {
  return active;
}

import wabtModule from 'wabt';
import type { Worker, WorkerOptions } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KernelThreads } from './kernel-threads.js';

// Records the pool's workers, and can prepend a line to their script (`scriptPrefix`).
const spy = vi.hoisted(() => ({ workers: [] as Worker[], scriptPrefix: '' }));
vi.mock('node:worker_threads', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:worker_threads')>();
  class RecordingWorker extends actual.Worker {
    constructor(source: string | URL, options?: WorkerOptions) {
      super(options?.eval ? spy.scriptPrefix + String(source) : source, options);
      spy.workers.push(this);
    }
  }
  return { ...actual, Worker: RecordingWorker, default: { ...actual, Worker: RecordingWorker } };
});

/** One kernel: `t.count` atomically adds 1 to the i32 at its argument. */
async function countModule(): Promise<WebAssembly.Module> {
  const wabt = await wabtModule();
  const wat = `(module
    (import "env" "memory" (memory 1 65536 shared))
    (func (export "count") (param $p i32) (drop (i32.atomic.rmw.add (local.get $p) (i32.const 1)))))`;
  const parsed = wabt.parseWat('count.wat', wat, { threads: true });
  const module = await WebAssembly.compile(parsed.toBinary({}).buffer);
  parsed.destroy();
  return module;
}

describe('KernelThreads with a worker that exited', () => {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
  const counters = new Int32Array(memory.buffer);
  let pool: KernelThreads | undefined;
  afterEach(async () => {
    await pool?.stop();
    spy.workers.length = 0;
    spy.scriptPrefix = '';
  });

  async function startPool(threads: number): Promise<KernelThreads> {
    pool = await KernelThreads.start([{ name: 't', module: await countModule(), exportNames: ['count'] }], memory, threads);
    return pool;
  }

  it('fails every later run, naming the thread, instead of waiting for it', async () => {
    const threads = await startPool(3);
    counters.fill(0, 4, 7);
    threads.run('t.count', [[16], [20], [24]]);
    expect(Array.from(counters.subarray(4, 7))).toEqual([1, 1, 1]);
    // Thread 2 is the second worker; terminate() ends a worker with exit code 1.
    expect(await spy.workers[1].terminate()).toBe(1);
    expect(() => threads.run('t.count', [[16], [20], [24]])).toThrow(
      'kernel thread 2 exited: exit code 1 (seen by t.count, on a pool of 3 threads); the pool cannot run kernels any more: start a new wasm backend',
    );
    // Not even on this thread alone: the pool is broken.
    expect(() => threads.run('t.count', [[16]])).toThrow(/^kernel thread 2 exited: exit code 1/);
    expect(Array.from(counters.subarray(4, 7))).toEqual([1, 1, 1]);
  });

  it('fails the run it dies in, while the caller waits for it', async () => {
    // The workers exit (code 3) where they would count their first job done.
    spy.scriptPrefix = 'Atomics.sub = () => process.exit(3);\n';
    const threads = await startPool(2);
    counters.fill(0, 4, 6);
    expect(() => threads.run('t.count', [[16], [20]])).toThrow(/^kernel thread 1 exited: exit code 3 \(seen by t.count, on a pool of 2 threads\)/);
    // Both jobs ran: job 0 here, job 1 on the worker before it exited.
    expect(Array.from(counters.subarray(4, 6))).toEqual([1, 1]);
  });
});

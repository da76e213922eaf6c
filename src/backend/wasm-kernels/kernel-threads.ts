import { Worker } from 'node:worker_threads';

/** Slots of the control block shared with the workers (Int32 indices). */
const PENDING = 0; // workers still running the current dispatch
const FAILED = 1; // set by a worker whose call threw
const MAX_ARGS = 8;
/**
 * Then one mailbox per worker, 64 bytes apart (a cache line each): its job counter (bumped
 * once per job posted to it; the worker sleeps on it), the export to call, its i32 arguments.
 */
const MAILBOX = 16;
const MAILBOX_INTS = 16;
const JOB_COUNT = 0;
const EXPORT = 1;
const ARGS = 2;
const MAX_WORKERS = 63;

/**
 * The worker: instantiates the kernel modules on the shared memory, posts 'ready', then sleeps
 * on its own mailbox's job counter; each bump is one job, which it runs before counting
 * PENDING down (waking the caller at zero). A worker reads only its own mailbox, and only
 * after a bump: the caller writes a mailbox only while its worker sleeps (before the bump, or
 * after the worker counted the previous job done), so a worker can never see a job half
 * written, run one twice, or still be running one when the caller returns.
 * Runs as a CommonJS eval script.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { modules, memory, control, index } = workerData;
const kernels = modules.flatMap(({ module, exportNames }) => {
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
  return exportNames.map((name) => exports[name]);
});
const ctl = new Int32Array(control);
const mailbox = ${MAILBOX} + index * ${MAILBOX_INTS};
parentPort.postMessage('ready');
let done = 0;
for (;;) {
  Atomics.wait(ctl, mailbox + ${JOB_COUNT}, done);
  done = (done + 1) | 0; // wraps as the Int32 counter does
  try {
    kernels[ctl[mailbox + ${EXPORT}]](...ctl.subarray(mailbox + ${ARGS}, mailbox + ${ARGS + MAX_ARGS}));
  } catch {
    Atomics.store(ctl, ${FAILED}, 1);
  }
  if (Atomics.sub(ctl, ${PENDING}, 1) === 1) Atomics.notify(ctl, ${PENDING});
}`;

/** A compiled kernel module and the exports the pool may run, named module.export. */
export interface KernelModule {
  name: string;
  module: WebAssembly.Module;
  exportNames: string[];
}

/**
 * A pool of Node workers running exports of wasm modules on a shared memory, for kernels
 * whose work splits into independent jobs. The caller runs job 0 itself and blocks (Atomics)
 * until the workers have run the others: a synchronous kernel call, like tfjs's own pthreads.
 * Workers are unref'd: they never keep the process alive.
 */
export class KernelThreads {
  private readonly control = new Int32Array(new SharedArrayBuffer((MAILBOX + MAILBOX_INTS * (MAX_WORKERS + 1)) * 4));
  private readonly workers: Worker[] = [];

  private constructor(
    private readonly exportKeys: string[],
    private readonly local: Array<(...args: number[]) => void>,
  ) {}

  /** `threads` counts the caller: threads - 1 workers start. Resolves when they are ready. */
  static async start(modules: KernelModule[], memory: WebAssembly.Memory, threads: number): Promise<KernelThreads> {
    const local = modules.flatMap(({ module, exportNames }) => {
      const instance = new WebAssembly.Instance(module, { env: { memory } });
      return exportNames.map((name) => instance.exports[name] as (...args: number[]) => void);
    });
    const pool = new KernelThreads(
      modules.flatMap(({ name, exportNames }) => exportNames.map((exportName) => `${name}.${exportName}`)),
      local,
    );
    const helpers = Math.min(Math.max(threads, 1) - 1, MAX_WORKERS);
    const ready: Array<Promise<void>> = [];
    const workerModules = modules.map(({ module, exportNames }) => ({ module, exportNames }));
    for (let index = 1; index <= helpers; index++) {
      // No execArgv: the parent's (say --input-type=module) would make the script an ES module.
      const workerData = { modules: workerModules, memory, control: pool.control.buffer, index };
      const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData });
      ready.push(
        new Promise((resolve, reject) => {
          worker.once('message', () => resolve());
          worker.once('error', reject);
        }),
      );
      pool.workers.push(worker);
    }
    try {
      await Promise.all(ready);
    } catch (error) {
      await pool.stop();
      throw new Error(`a kernel thread failed to start: ${(error as Error).message}`);
    }
    // Unref'd only now: before, the process would have nothing keeping it up to hear 'ready'.
    for (const worker of pool.workers) worker.unref();
    return pool;
  }

  get threads(): number {
    return this.workers.length + 1;
  }

  /** Runs `module.export` once per job (its i32 arguments), job 0 on this thread; returns when all are done. */
  run(exportKey: string, jobs: number[][]): void {
    const exportIndex = this.exportKeys.indexOf(exportKey);
    if (exportIndex < 0) throw new Error(`no kernel ${exportKey}`);
    if (jobs.length === 0) return;
    if (jobs.length > this.threads) throw new Error(`${jobs.length} jobs for ${this.threads} threads`);
    for (const args of jobs) if (args.length > MAX_ARGS) throw new Error(`${exportKey}: at most ${MAX_ARGS} arguments`);
    const ctl = this.control;
    Atomics.store(ctl, FAILED, 0);
    Atomics.store(ctl, PENDING, jobs.length - 1);
    // Worker k (1-based) takes job k: its mailbox is written, then its job counter bumped.
    for (let index = 1; index < jobs.length; index++) {
      const mailbox = MAILBOX + index * MAILBOX_INTS;
      ctl[mailbox + EXPORT] = exportIndex;
      ctl.set(jobs[index], mailbox + ARGS);
      Atomics.add(ctl, mailbox + JOB_COUNT, 1);
      Atomics.notify(ctl, mailbox + JOB_COUNT);
    }
    try {
      this.local[exportIndex](...jobs[0]);
    } finally {
      this.waitForWorkers();
    }
    if (Atomics.load(ctl, FAILED)) throw new Error(`${exportKey} failed in a kernel thread`);
  }

  /** Ends the workers (a new backend, or the end of a test). */
  async stop(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
    this.workers.length = 0;
  }

  private waitForWorkers(): void {
    for (let pending = Atomics.load(this.control, PENDING); pending > 0; pending = Atomics.load(this.control, PENDING)) {
      Atomics.wait(this.control, PENDING, pending);
    }
  }
}

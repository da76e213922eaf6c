import { Worker } from 'node:worker_threads';

/*
 * Dispatch protocol (caller = the thread calling `run`, worker k = thread k, k >= 1).
 *
 * Control block: PENDING, FAILED, then one 64-byte mailbox per worker: SEQUENCE, the job
 * fields (EXPORT, ARG_COUNT, ARGS) and the worker's EXITED flag and EXIT_CODE.
 *
 * Post (caller, per dispatch): check no worker has exited; store FAILED = 0 and
 *   PENDING = jobs - 1; for each worker k with a job: plain stores of its job fields, then one
 *   Atomics.store of SEQUENCE + 1 (publishes the fields: release), then Atomics.notify.
 * Take (worker k): `taken` = the last sequence number it ran. Sleep while
 *   Atomics.load(SEQUENCE) === taken (acquire), re-checking after every wake-up: a wake-up is
 *   a hint, never a job (a notify can arrive after the job it announced was already taken).
 *   Then taken = that sequence number, plain loads of the job fields, run the export
 *   (FAILED = 1 if it throws), and only then Atomics.sub(PENDING, 1), notifying at 0.
 * Wait (caller): run job 0, then sleep on PENDING until it is 0, with a timeout so that a
 *   worker that exited (its EXITED flag, set by its own 'exit' handler, which also notifies
 *   PENDING) is reported instead of waited for forever.
 *
 * Why it holds: the caller writes worker k's fields only when PENDING reached 0 in every
 * earlier dispatch, i.e. after worker k's Atomics.sub, which follows its loads of them; the
 * worker loads them only after an acquire load saw the sequence number stored after them. One
 * sequence number per job, and a worker runs a job only on a sequence number it has not yet
 * taken, so every job runs exactly once, and PENDING counts exactly the jobs still running.
 * A `run` that stops waiting (a worker exited) may leave jobs running, still writing into the
 * caller's buffers, so the heap is not to be trusted after that error; the pool refuses every
 * later `run`: no job is ever posted over one still running.
 */
const PENDING = 0;
const FAILED = 1;
const MAILBOX = 16;
const MAILBOX_INTS = 16;
const SEQUENCE = 0;
const EXPORT = 1;
const ARG_COUNT = 2;
const ARGS = 3;
const MAX_ARGS = 8;
const EXITED = ARGS + MAX_ARGS;
const EXIT_CODE = EXITED + 1;
const MAX_WORKERS = 63;
/** How often a waiting caller checks that its workers are alive. */
const LIVENESS_POLL_MS = 100;

/** The worker side of the protocol above. Runs as a CommonJS eval script. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { modules, memory, control, index } = workerData;
const kernels = modules.flatMap(({ module, exportNames }) => {
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
  return exportNames.map((name) => exports[name]);
});
const ctl = new Int32Array(control);
const mailbox = ${MAILBOX} + index * ${MAILBOX_INTS};
const sequence = mailbox + ${SEQUENCE};
process.on('exit', (code) => {
  Atomics.store(ctl, mailbox + ${EXIT_CODE}, code);
  Atomics.store(ctl, mailbox + ${EXITED}, 1);
  Atomics.notify(ctl, ${PENDING});
});
parentPort.postMessage('ready');
let taken = 0;
for (;;) {
  let posted;
  while ((posted = Atomics.load(ctl, sequence)) === taken) Atomics.wait(ctl, sequence, taken);
  taken = posted;
  const kernel = kernels[ctl[mailbox + ${EXPORT}]];
  const args = ctl.slice(mailbox + ${ARGS}, mailbox + ${ARGS} + ctl[mailbox + ${ARG_COUNT}]);
  try {
    kernel(...args);
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
 * Workers are unref'd: they never keep the process alive. A worker that exits breaks the pool:
 * every later `run` throws, naming it.
 */
export class KernelThreads {
  private readonly control = new Int32Array(new SharedArrayBuffer((MAILBOX + MAILBOX_INTS * (MAX_WORKERS + 1)) * 4));
  private readonly workers: Worker[] = [];
  /** Why each worker ended, by thread number, as its 'error'/'exit' events told. */
  private readonly exitReasons = new Map<number, string>();
  private stopping = false;

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
      worker.on('error', (error) => pool.recordExit(index, error.message));
      worker.on('exit', (code) => pool.recordExit(index, `exit code ${code}`));
      ready.push(
        new Promise((resolve, reject) => {
          worker.once('message', () => resolve());
          worker.once('error', reject);
          worker.once('exit', (code) => reject(new Error(`exit code ${code} before it was ready`)));
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
    this.throwIfAnyExited(exportKey);
    const ctl = this.control;
    Atomics.store(ctl, FAILED, 0);
    Atomics.store(ctl, PENDING, jobs.length - 1);
    for (let index = 1; index < jobs.length; index++) this.post(index, exportIndex, jobs[index]);
    try {
      this.local[exportIndex](...jobs[0]);
    } finally {
      this.waitForWorkers(exportKey);
    }
    if (Atomics.load(ctl, FAILED)) throw new Error(`${exportKey} failed in a kernel thread`);
  }

  /** Ends the workers (a new backend, or the end of a test). */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.workers.map((worker) => worker.terminate()));
    this.workers.length = 0;
  }

  /** Writes worker `index`'s job with plain stores, then publishes it with its next sequence number. */
  private post(index: number, exportIndex: number, args: number[]): void {
    const ctl = this.control;
    const mailbox = MAILBOX + index * MAILBOX_INTS;
    ctl[mailbox + EXPORT] = exportIndex;
    ctl[mailbox + ARG_COUNT] = args.length;
    ctl.set(args, mailbox + ARGS);
    Atomics.store(ctl, mailbox + SEQUENCE, (Atomics.load(ctl, mailbox + SEQUENCE) + 1) | 0);
    Atomics.notify(ctl, mailbox + SEQUENCE, 1);
  }

  private waitForWorkers(exportKey: string): void {
    for (let pending = Atomics.load(this.control, PENDING); pending > 0; pending = Atomics.load(this.control, PENDING)) {
      Atomics.wait(this.control, PENDING, pending, LIVENESS_POLL_MS);
      this.throwIfAnyExited(exportKey);
    }
  }

  private recordExit(index: number, reason: string): void {
    if (!this.stopping && !this.exitReasons.has(index)) this.exitReasons.set(index, reason);
  }

  /**
   * Throws if a worker has ended: its parent-side event was handled (between calls) or its own
   * 'exit' handler set EXITED (also while this thread is blocked in `run`). Not seen while `run`
   * blocks: a worker killed without running its handlers (terminate(), out of memory).
   */
  private throwIfAnyExited(exportKey: string): void {
    for (let index = 1; index <= this.workers.length; index++) {
      const mailbox = MAILBOX + index * MAILBOX_INTS;
      const ownExit = Atomics.load(this.control, mailbox + EXITED) ? `exit code ${Atomics.load(this.control, mailbox + EXIT_CODE)}` : undefined;
      const reason = this.exitReasons.get(index) ?? ownExit;
      if (reason !== undefined) {
        throw new Error(
          `kernel thread ${index} exited: ${reason} (seen by ${exportKey}, on a pool of ${this.threads} threads); ` +
            'the pool cannot run kernels any more: start a new wasm backend',
        );
      }
    }
  }
}

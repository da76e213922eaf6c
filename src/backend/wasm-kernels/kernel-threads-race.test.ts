import { Worker, type WorkerOptions } from 'node:worker_threads';
import wabtModule from 'wabt';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { KernelThreads } from './kernel-threads.js';

// Records each pool's control block (the SharedArrayBuffer its workers get), for the wake-up storm.
const controls = vi.hoisted((): SharedArrayBuffer[] => []);
vi.mock('node:worker_threads', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:worker_threads')>();
  class RecordingWorker extends actual.Worker {
    constructor(source: string | URL, options?: WorkerOptions) {
      super(source, options);
      const control = options?.workerData?.control;
      if (control instanceof SharedArrayBuffer) controls.push(control);
    }
  }
  return { ...actual, Worker: RecordingWorker, default: { ...actual, Worker: RecordingWorker } };
});

/** Counting kernels: each job atomically adds 1 (count_one) or 1000 (count_thousand) to the i32 at its argument. */
const COUNTERS_WAT = `(module
  (import "env" "memory" (memory 1 65536 shared))
  (func (export "count_one") (param $p i32) (drop (i32.atomic.rmw.add (local.get $p) (i32.const 1))))
  (func (export "count_thousand") (param $p i32) (drop (i32.atomic.rmw.add (local.get $p) (i32.const 1000)))))`;

async function counterModule(): Promise<WebAssembly.Module> {
  const wabt = await wabtModule();
  const parsed = wabt.parseWat('counters.wat', COUNTERS_WAT, { threads: true });
  const module = await WebAssembly.compile(parsed.toBinary({}).buffer);
  parsed.destroy();
  return module;
}

/**
 * A thread that, until `stop`, calls Atomics.notify on every slot of `control`: wake-ups with no
 * new job, as a notify the caller was descheduled before sending delivers once the worker has
 * already taken that job and sleeps on the next one. A waiter must check its own slot after each.
 */
async function wakeUpStorm(control: SharedArrayBuffer): Promise<{ stop: () => Promise<number> }> {
  const stopFlag = new Int32Array(new SharedArrayBuffer(4));
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    const ctl = new Int32Array(workerData.control), stop = new Int32Array(workerData.stopFlag);
    parentPort.postMessage('storming');
    while (Atomics.load(stop, 0) === 0) {
      for (let i = 0; i < ctl.length; i++) Atomics.notify(ctl, i);
      Atomics.wait(stop, 0, 0, 0.05);
    }`;
  const storm = new Worker(source, { eval: true, execArgv: [], workerData: { control, stopFlag: stopFlag.buffer } });
  await new Promise((resolve) => storm.once('message', resolve));
  return {
    stop: () => {
      Atomics.store(stopFlag, 0, 1);
      return new Promise((resolve) => storm.once('exit', resolve));
    },
  };
}

describe('KernelThreads dispatch', () => {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
  let pool: KernelThreads;
  afterAll(() => pool?.stop());

  /**
   * Eight threads (seven workers, more than the cores: they are often descheduled), dispatches
   * alternating 2 jobs (six workers idle) and 8 jobs, while another thread keeps waking every
   * waiter of the pool. A worker woken without a job of its own must go back to sleep: if it took
   * the wake-up for a job it would run its last job again (and, its count of jobs taken now ahead
   * of the caller's, keep running it), count PENDING down for jobs it was not given, and let `run`
   * return while other workers still run theirs. Without the storm that needs the caller
   * descheduled between posting a job and its notify (before the fix, 1 run in 6 of 20,000 rounds
   * failed; with the storm, 3 runs of 3 failed, by round 18).
   * After each `run` every counter holds exactly its count: after i + 1 rounds, the 2-job counters
   * i + 1, the 8-job counters 1000 * (i + 1).
   */
  it('runs every job exactly once, and before run returns, whatever wakes the workers', async () => {
    pool = await KernelThreads.start([{ name: 't', module: await counterModule(), exportNames: ['count_one', 'count_thousand'] }], memory, 8);
    const storm = await wakeUpStorm(controls[controls.length - 1]);
    const counters = new Int32Array(memory.buffer);
    const twoJobs = [16, 20];
    const eightJobs = Array.from({ length: 8 }, (_, k) => 32 + 4 * k);
    const wrong: string[] = [];
    try {
      for (let i = 0; i < 20000 && wrong.length === 0; i++) {
        pool.run('t.count_one', twoJobs.map((p) => [p]));
        const afterTwo = twoJobs.map((p) => Atomics.load(counters, p / 4));
        if (afterTwo.some((count) => count !== i + 1)) wrong.push(`round ${i}: 2-job counters ${afterTwo}, expected ${i + 1}`);
        pool.run('t.count_thousand', eightJobs.map((p) => [p]));
        const afterEight = eightJobs.map((p) => Atomics.load(counters, p / 4));
        if (afterEight.some((count) => count !== 1000 * (i + 1))) wrong.push(`round ${i}: 8-job counters ${afterEight}, expected ${1000 * (i + 1)}`);
      }
    } finally {
      await storm.stop();
    }
    expect(wrong).toEqual([]);
  });
});

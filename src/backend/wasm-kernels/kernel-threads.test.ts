import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KernelThreads } from './kernel-threads.js';

const BINARY = join(import.meta.dirname, '../../../dist/wasm/filter-gradient.shared.wasm');

describe('KernelThreads', () => {
  const memory = new WebAssembly.Memory({ initial: 2, maximum: 65536, shared: true });
  let pool: KernelThreads;
  afterAll(() => pool?.stop());

  /**
   * A 1x1 convolution's filter gradient is x^T dy over the positions. One sample of 2 pixels,
   * 4 input and 8 output channels: x = [[1,2,3,4],[5,6,7,8]], dy[p][co] = (p + 1) * (co + 1), so
   * dW[ci][co] = (co + 1) * (x[0][ci] + 2 * x[1][ci]): for ci = 0, 1 + 10 = 11 times (co + 1).
   */
  function writeProblem(base: number): number {
    const floats = new Float32Array(memory.buffer);
    const x = base + 256, dy = base + 512, dW = base + 1024;
    floats.set([1, 2, 3, 4, 5, 6, 7, 8], x / 4);
    floats.set(Array.from({ length: 16 }, (_, i) => (Math.floor(i / 8) + 1) * ((i % 8) + 1)), dy / 4);
    floats.fill(0, dW / 4, dW / 4 + 32);
    // x, dy, dW, N, H, W, Ci, Ho, Wo, Co, kh, kw, sh, sw, dh, dw, pt, pl, CiP, CoP, rows per block
    new Int32Array(memory.buffer).set([x, dy, dW, 1, 1, 2, 4, 1, 2, 8, 1, 1, 1, 1, 1, 1, 0, 0, 4, 8, 1], base / 4);
    return dW;
  }

  it('runs job 0 on the caller and the others on workers, each writing its own memory', async () => {
    const module = await WebAssembly.compile(readFileSync(BINARY));
    pool = await KernelThreads.start([{ name: 'filter-gradient', module, exportNames: ['filter_grad'] }], memory, 2);
    expect(pool.threads).toBe(2);
    const [first, second] = [writeProblem(0), writeProblem(4096)];
    pool.run('filter-gradient.filter_grad', [
      [0, 0, 1, 0, 1],
      [4096, 0, 1, 0, 1],
    ]);
    const expected = [1, 2, 3, 4].flatMap((ci) => Array.from({ length: 8 }, (_, co) => (co + 1) * (ci + 2 * (ci + 4))));
    expect(expected.slice(0, 3)).toEqual([11, 22, 33]);
    for (const dW of [first, second]) expect(Array.from(new Float32Array(memory.buffer, dW, 32))).toEqual(expected);
  });

  it('a job that traps in a worker fails the call, and the pool keeps working', () => {
    writeProblem(0);
    // The worker's geometry pointer is past the end of memory: its loads trap.
    expect(() => pool.run('filter-gradient.filter_grad', [[0, 0, 1, 0, 1], [memory.buffer.byteLength, 0, 1, 0, 1]])).toThrow(/filter-gradient.filter_grad failed in a kernel thread/);
    const dW = writeProblem(0);
    pool.run('filter-gradient.filter_grad', [[0, 0, 1, 0, 1]]);
    expect(new Float32Array(memory.buffer, dW, 1)[0]).toBe(11);
  });
});

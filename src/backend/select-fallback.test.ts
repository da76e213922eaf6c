import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createOutput } from '../cli/output.js';

// A wasm backend that fails to start, as it does when its .wasm file is missing or unreadable.
vi.mock('./wasm-backend.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('./wasm-backend.js')>()),
  registerWasmBackend: async () => {
    throw new Error('stub: tfjs-backend-wasm-simd.wasm not found');
  },
}));

/** select.ts keeps the backend it started: each test starts from a fresh module. */
async function freshInitBackend() {
  vi.resetModules();
  return (await import('./select.js')).initBackend;
}

describe('backend auto when wasm fails to start', () => {
  let stderr: string[];
  beforeEach(() => {
    stderr = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      stderr.push(String(chunk));
      return true;
    });
  });
  afterEach(() => vi.restoreAllMocks());

  it('falls back to cpu with a warning naming the wasm failure and the cost, also under --json', async () => {
    const choice = await (await freshInitBackend())('auto');
    expect(choice.name).toBe('cpu');
    expect(choice.fallback).toBe(
      'backend auto fell back to cpu (@tensorflow/tfjs-backend-wasm: failed to initialise (stub: tfjs-backend-wasm-simd.wasm not found)): ' +
        'the cpu backend trains convolutions hundreds of times slower than wasm. Reinstall with npm install to get wasm back, or set backend: cpu to choose cpu knowingly',
    );
    createOutput({ json: true }).backend(choice);
    expect(stderr).toEqual([`warning: ${choice.fallback}\n`]);
  });

  it('an explicit backend: cpu is quiet: no fallback, only the backend notice', async () => {
    const choice = await (await freshInitBackend())('cpu');
    expect(choice.name).toBe('cpu');
    expect(choice.fallback).toBeUndefined();
    createOutput({ json: false }).backend(choice);
    expect(stderr).toEqual(['backend: cpu (@tensorflow/tfjs (cpu))\n']);
  });
});

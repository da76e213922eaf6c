import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // One process per test file: each has its own wasm heap (up to 4 GiB, micro-batch.test.ts
    // uses about 3) and its own tfjs backend state. vitest's default worker count in `run` is
    // cores - 1, so on a 2-core machine the files run one at a time (their order does not change
    // the wall time) and the second core serves the wasm thread pool and the e2e tests' own
    // side-by-side CLI launches.
    pool: 'forks',
  },
});

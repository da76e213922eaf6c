/** Run dirs for the stage tests: a tiny shrink of zoo:cnn, and a latency table of it measured here. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { activeBackend, initBackend } from '../src/backend/select.js';
import { analyzeChannels } from '../src/graph/channel-groups.js';
import { buildLayerGraph } from '../src/graph/build-graph.js';
import { measureLatencyTable } from '../src/latency/measure-model.js';
import { buildZooModel } from '../src/model/zoo/registry.js';
import { expandStage } from '../src/stages/expand.js';
import { shrinkStage } from '../src/stages/shrink.js';

const FAST = { warmup: 1, warmupMs: 0, repeats: 1, minSampleMs: 0 };
/** No warm-up until steady: the table is for stage tests, not figures. */
const NO_STEADY_WARMUP = { minMs: 0, maxMs: 0, chunkMs: 0, settledChunks: 0 };

/** Structures timed against the seed in 3 pairs without warming until steady (expand's measured landing in stage tests: fast, not precise). */
export const FAST_PAIRS = { warmup: 1, warmupMs: 0, pairs: 3, minSampleMs: 0.5 };

/** A latency table of zoo:cnn at width 0.25 on this process's wasm backend, at batch 1 (two widths per axis, one sample each: fast, not precise). */
export async function measuredTable(dir: string): Promise<string> {
  await initBackend('wasm');
  const model = buildZooModel('cnn', { width: 0.25 });
  const backend = activeBackend()!;
  const table = await measureLatencyTable(model, analyzeChannels(buildLayerGraph(model)), { modelName: 'zoo:cnn', backend: backend.name, threads: backend.threads, batch: 1, widthSamples: 2, protocol: FAST, warmup: NO_STEADY_WARMUP });
  const path = join(dir, 'cnn-wasm.json');
  writeFileSync(path, JSON.stringify(table));
  return path;
}

/**
 * A two-step shrink of zoo:cnn at width 0.25 (widths 8, 16, 32) on 64 synthetic samples, ready to
 * expand, then retrain two steps with a uniform baseline; `retrain` and `hardware` are added to
 * its config.
 */
export async function tinyShrunkRun(runDir: string, overrides: { retrain?: Record<string, unknown>; hardware?: Record<string, { table: string }> } = {}): Promise<void> {
  await shrinkStage({
    runDir,
    toolVersion: 'test',
    overrides: {
      backend: 'wasm',
      model: { zoo: 'cnn', options: { width: 0.25 } },
      data: { dataset: 'synthetic', samples: 64, validationSplit: 0, batchSize: 16 },
      shrink: { steps: 2, strength: 1e-6 },
      retrain: { steps: 2, baseline: 'uniform', ...overrides.retrain },
      ...(overrides.hardware ? { hardware: overrides.hardware } : {}),
    },
  });
}

/** tinyShrunkRun, expanded to 600k FLOPs (of its 1,016,704). */
export async function tinyExpandedRun(runDir: string, overrides: Parameters<typeof tinyShrunkRun>[1] = {}): Promise<void> {
  await tinyShrunkRun(runDir, overrides);
  await expandStage({ runDir, target: { resource: 'flops', value: 600e3 }, toolVersion: 'test' });
}

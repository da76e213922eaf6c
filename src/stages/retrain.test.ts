import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { activeBackend } from '../backend/select.js';
import type { InferenceLatencyFile } from '../latency/inference-latency-file.js';
import type { ExpandedStructure, UniformStructure } from '../structure/structure-file.js';
import { expandStage } from './expand.js';
import { retrainStage } from './retrain.js';
import { FAST_PAIRS, measuredTable, tinyExpandedRun, tinyShrunkRun } from '../../test/stage-runs.js';

const read = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8'));

describe('retrain times inference of the seed, the retrained model and the baseline', () => {
  it('writes <model>/latency.json at batch 1 and the training batch, predicted by the table measured here; resumes by timing, not training', async () => {
    const runDir = mkdtempSync(join(tmpdir(), 'morphnet-retrain-'));
    const table = await measuredTable(runDir);
    await tinyExpandedRun(runDir, { hardware: { 'wasm-here': { table } } });
    await retrainStage({ runDir, toolVersion: 'test' });

    const files = Object.fromEntries((['seed', 'retrain', 'baseline'] as const).map((m) => [m, read<InferenceLatencyFile>(join(runDir, m === 'seed' ? 'seed' : m, 'latency.json'))]));
    const backend = activeBackend()!;
    for (const [model, file] of Object.entries(files)) {
      expect(file.model).toBe(model);
      expect([file.batch1.batch, file.trainingBatch.batch]).toEqual([1, 16]);
      // The seed is timed alone (7 samples); the trained models in 9 pairs with the seed, with their share of its time.
      const paired = model !== 'seed';
      for (const m of [file.batch1, file.trainingBatch]) {
        expect(m).toMatchObject({ backend: 'wasm', threads: backend.threads, repeats: paired ? 9 : 7, warmup: 3 });
        expect(m.medianMs).toBeGreaterThan(0);
        if (paired) {
          expect(m.ofSeed).toMatchObject({ pairs: 9 });
          expect(m.ofSeed!.p25).toBeLessThanOrEqual(m.ofSeed!.median);
          expect(m.ofSeed!.p75).toBeGreaterThanOrEqual(m.ofSeed!.median);
          expect(m.ofSeed!.seedMedianMs).toBeGreaterThan(0);
        } else {
          expect(m.ofSeed).toBeUndefined();
        }
      }
      // The table was measured at batch 1: it predicts batch 1 only, and the share of its prediction for the seed.
      expect(file.batch1.predicted?.hardware).toBe('wasm-here');
      expect(file.trainingBatch.predicted).toBeUndefined();
    }
    expect(files.seed.batch1.predicted!.ofSeed).toBe(1);
    for (const model of ['retrain', 'baseline'] as const) {
      expect(files[model].batch1.predicted!.ofSeed).toBeCloseTo(files[model].batch1.predicted!.ms / files.seed.batch1.predicted!.ms, 12);
    }
    // At the seed's own widths the table's layers plus its overhead are its whole-model time, by construction.
    expect(files.seed.batch1.predicted!.ms).toBeCloseTo(read<{ whole: { medianMs: number } }>(table).whole.medianMs, 9);

    // Stopped after the baseline trained and saved, before it was timed: resuming times it without training again.
    const manifestPath = join(runDir, 'run.json');
    const manifest = read<{ stages: Record<string, { status: string }> }>(manifestPath);
    manifest.stages.baseline.status = 'interrupted';
    writeFileSync(manifestPath, JSON.stringify(manifest));
    rmSync(join(runDir, 'baseline/latency.json'));
    // Markers a second training would overwrite: its metrics log and its result.
    writeFileSync(join(runDir, 'baseline/metrics.jsonl'), '{"marker":true}\n');
    writeFileSync(join(runDir, 'baseline/result.json'), JSON.stringify({ ...read<object>(join(runDir, 'baseline/result.json')), steps: 999 }));
    const result = await retrainStage({ runDir, toolVersion: 'test' });
    expect(readFileSync(join(runDir, 'baseline/metrics.jsonl'), 'utf8')).toBe('{"marker":true}\n');
    expect(result.baseline?.steps).toBe(999);
    expect(read<InferenceLatencyFile>(join(runDir, 'baseline/latency.json')).batch1.medianMs).toBeGreaterThan(0);
    expect(read<{ stages: Record<string, { status: string }> }>(manifestPath).stages.baseline.status).toBe('complete');
    // The finished retrain and the seed (timed on this backend, threads and batch already) are not timed again.
    expect(read<InferenceLatencyFile>(join(runDir, 'retrain/latency.json'))).toEqual(files.retrain);
    expect(read<InferenceLatencyFile>(join(runDir, 'seed/latency.json'))).toEqual(files.seed);
  }, 120_000);

  it('retrain.measureLatency false: the models are trained and saved, none is timed (no <model>/latency.json)', async () => {
    const runDir = mkdtempSync(join(tmpdir(), 'morphnet-retrain-no-latency-'));
    await tinyExpandedRun(runDir, { retrain: { measureLatency: false } });
    const result = await retrainStage({ runDir, toolVersion: 'test' });
    expect(result.retrain?.steps).toBe(2);
    expect(result.baseline?.steps).toBe(2);
    for (const model of ['seed', 'retrain', 'baseline']) expect(existsSync(join(runDir, model, 'latency.json')), model).toBe(false);
    for (const model of ['retrain', 'baseline']) expect(existsSync(join(runDir, model, 'model', 'model.json')), model).toBe(true);
  });

  it('a baseline for a budget expand timed onto the seed is landed alike, in expand\'s multiples, and read back on resume, not timed again', async () => {
    const runDir = mkdtempSync(join(tmpdir(), 'morphnet-retrain-landed-'));
    const table = await measuredTable(runDir);
    await tinyShrunkRun(runDir, { hardware: { 'wasm-here': { table } }, retrain: { measureLatency: false } });
    await expandStage({ runDir, target: { resource: 'latency', percentOfSeed: 100 }, hardware: 'wasm-here', measureProtocol: FAST_PAIRS, toolVersion: 'test' });
    await retrainStage({ runDir, toolVersion: 'test' });
    const planPath = join(runDir, 'baseline/structure.json');
    const plan = read<UniformStructure>(planPath);
    expect(plan.measured?.protocol).toEqual(FAST_PAIRS);
    expect(plan.measured?.attempts[0].aimedMs).toBe((read<ExpandedStructure>(join(runDir, 'expand/structure.json')).target as { value: number }).value);
    for (const group of plan.groups.filter((g) => !g.fixed)) expect(group.width % 8, group.layers[0]).toBe(0);

    // Stopped while the baseline trained: its plan is read back (a marker a new landing would overwrite stays).
    const manifestPath = join(runDir, 'run.json');
    const manifest = read<{ stages: Record<string, { status: string }> }>(manifestPath);
    manifest.stages.baseline.status = 'interrupted';
    writeFileSync(manifestPath, JSON.stringify(manifest));
    plan.measured!.attempts[0].aimedMs = 12345;
    writeFileSync(planPath, JSON.stringify(plan));
    await retrainStage({ runDir, toolVersion: 'test' });
    expect(read<UniformStructure>(planPath).measured?.attempts[0].aimedMs).toBe(12345);
  }, 60_000);
});

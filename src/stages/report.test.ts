import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../config/load.js';
import type { Manifest } from '../run-dir/run-dir.js';
import type { TrainedModel } from '../run-dir/trained-model.js';
import type { ExpandedStructure, StructureCost, StructureFile } from '../structure/structure-file.js';
import { assembleReport, needsSeed, reportStage, type ReportInputs } from './report.js';

/**
 * A two-layer network as its structure files describe it (no model anywhere):
 *   conv (seed 8 channels, 600 FLOPs) -> dense (seed 10 units, 400 FLOPs); seed 1000 FLOPs.
 * Shrunk to conv 2: conv 150, dense 400 (its input shrank but it keeps its units): 550 FLOPs.
 * Expanded to conv 4: conv 300, dense 400: 700 FLOPs.
 */
const cost = (flops: number, params: number): StructureCost => ({ flops, macs: flops / 2, params, totalParams: params, activations: 0 });
const SEED_COST = cost(1000, 90);

function structure(convWidth: number, convFlops: number, total: StructureCost): StructureFile {
  return {
    format: 'morphnet.structure/1',
    model: 'zoo:fixture',
    step: 8,
    groups: [{ id: 0, layers: ['conv'], original: 8, width: convWidth, kept: Array.from({ length: Math.min(convWidth, 8) }, (_, i) => i) }],
    widths: { conv: convWidth, dense: 10 },
    cost: total,
    seedCost: SEED_COST,
    layers: [
      { name: 'conv', className: 'Conv2D', original: 8, seedFlops: 600, flops: convFlops },
      { name: 'dense', className: 'Dense', original: 10, seedFlops: 400, flops: 400 },
    ],
  };
}

const SHRUNK = structure(2, 150, cost(550, 40));
const EXPANDED: ExpandedStructure = { ...structure(4, 300, cost(700, 60)), multiplier: 2, target: { resource: 'flops', value: 720 }, achieved: 700, slack: 20, fill: true, filled: [] };
const trained = (stage: 'retrain' | 'baseline', accuracy: number, flops: number, multiplier: number): TrainedModel => ({
  stage,
  modelDir: `run/${stage}/model`,
  steps: 4,
  resumedAt: 0,
  valAccuracy: accuracy,
  cost: { flops, macs: flops / 2, params: 60, totalParams: 60, activations: 0 },
  widths: {},
  multiplier,
});

const CONFIG = resolveConfig({ model: { zoo: 'cnn' }, data: { dataset: 'synthetic' }, expand: { targetFlops: 720 } });
const complete = { status: 'complete' as const, startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:01:00Z' };

function inputs(patch: Partial<ReportInputs> = {}): ReportInputs {
  const manifest: Manifest = {
    format: 'morphnet.run/1',
    tool: { name: 'morphnet', version: '0.0.0' },
    createdAt: complete.startedAt,
    updatedAt: complete.finishedAt,
    backend: { name: 'wasm', package: '@tensorflow/tfjs-backend-wasm' },
    config: CONFIG,
    stages: { shrink: complete, expand: complete, retrain: complete, baseline: complete },
  };
  return {
    runDir: 'run',
    manifest,
    config: CONFIG,
    shrink: SHRUNK,
    expand: EXPANDED,
    shrinkResult: { valAccuracy: 0.5 },
    retrain: trained('retrain', 0.75, 700, 2),
    baseline: trained('baseline', 0.7, 690, 0.8),
    metrics: { records: [{ step: 1, loss: 2, taskLoss: 1.5, cost: 1000, alive: { conv: 8, dense: 10 } }], warnings: [] },
    ...patch,
  };
}

describe('assembleReport: the report from the files, pure', () => {
  it('per layer: widths from the structure files, FLOPs shares from their per-layer costs', () => {
    const report = assembleReport(inputs());
    expect(report.layers).toEqual([
      // 600 / 1000 of the seed, 300 / 700 expanded.
      { name: 'conv', className: 'Conv2D', seed: 8, shrunk: 2, expanded: 4, seedFlopsShare: 600 / 1000, expandedFlopsShare: 300 / 700 },
      { name: 'dense', className: 'Dense', seed: 10, shrunk: 10, expanded: 10, seedFlopsShare: 400 / 1000, expandedFlopsShare: 400 / 700 },
    ]);
  });

  it('per stage: structure costs for seed, shrink and expand; trained models as counted; the comparison on validation accuracy', () => {
    const report = assembleReport(inputs());
    expect(report.stages.map((s) => [s.name, s.status, s.cost.flops, s.cost.params, s.multiplier])).toEqual([
      ['seed', 'complete', 1000, 90, undefined],
      ['shrink', 'complete', 550, 40, undefined],
      ['expand', 'complete', 700, 60, 2],
      ['retrain', 'complete', 700, 60, 2],
      ['baseline', 'complete', 690, 60, 0.8],
    ]);
    expect(report.stages[1].valAccuracy).toBe(0.5);
    expect(report.comparison).toEqual({ morphnetAccuracy: 0.75, baselineAccuracy: 0.7, metric: 'validation', flops: { morphnet: 700, baseline: 690 } });
    // alive: 8 + 10 channels at step 1.
    expect(report.shrinkCurve).toEqual([{ step: 1, loss: 2, taskLoss: 1.5, cost: 1000, alive: 18 }]);
    expect(report.backend).toBe('wasm');
  });

  it('an interrupted baseline is shown as planned: the cost of baseline/structure.json, run.json\'s reason', () => {
    const base = inputs();
    const interrupted = { status: 'interrupted' as const, startedAt: complete.startedAt, finishedAt: complete.finishedAt, error: 'interrupted by SIGINT' };
    const report = assembleReport({
      ...base,
      manifest: { ...base.manifest, stages: { ...base.manifest.stages, baseline: interrupted } },
      baseline: undefined,
      baselinePlan: { ...structure(3, 225, cost(625, 50)), multiplier: 0.75 },
    });
    expect(report.stages.at(-1)).toEqual({ name: 'baseline', status: 'interrupted', cost: { flops: 625, params: 50 }, multiplier: 0.75, error: 'interrupted by SIGINT' });
    expect(report.comparison).toBeUndefined();
  });

  it('latency only when the report has hardware, and then the files must have been costed for it', () => {
    const withLatency = (file: StructureFile): StructureFile => ({ ...file, hardware: 'T4', cost: { ...file.cost, latency: 0.25 }, seedCost: { ...SEED_COST, latency: 0.5 } });
    const timed = inputs({ hardware: 'T4', shrink: withLatency(SHRUNK), expand: { ...EXPANDED, ...withLatency(EXPANDED) }, baselinePlan: { ...withLatency(structure(3, 225, cost(625, 50))), multiplier: 0.75 } });
    expect(needsSeed(timed)).toBe(false);
    expect(assembleReport(timed).stages.map((s) => s.cost.latency)).toEqual([0.5, 0.25, 0.25, 0.25, 0.25]);
    // Files costed for another hardware (or none) cannot give the T4 latency: the seed must cost them.
    expect(needsSeed({ ...timed, shrink: SHRUNK })).toBe(true);
    expect(needsSeed({ ...timed, hardware: 'V100' })).toBe(true);
  });

  it('structure files from before they carried costs need the seed model', () => {
    const { layers: _layers, seedCost: _seedCost, ...older } = SHRUNK;
    expect(needsSeed(inputs())).toBe(false);
    expect(needsSeed(inputs({ shrink: older }))).toBe(true);
  });
});

describe('reportStage: files in, report.json out, no model', () => {
  it('reports a run dir that has no seed model at all, never starting a backend', async () => {
    const root = mkdtempSync(join(tmpdir(), 'morphnet-report-'));
    const { manifest } = inputs();
    const write = (path: string, value: unknown) => {
      mkdirSync(join(root, path, '..'), { recursive: true });
      writeFileSync(join(root, path), typeof value === 'string' ? value : JSON.stringify(value));
    };
    write('run.json', manifest);
    write('shrink/structure.json', SHRUNK);
    write('shrink/result.json', { valAccuracy: 0.5 });
    write('shrink/metrics.jsonl', `${JSON.stringify({ step: 1, loss: 2, taskLoss: 1.5, cost: 1000, alive: { conv: 8 } })}\n`);
    write('expand/structure.json', EXPANDED);
    write('retrain/result.json', trained('retrain', 0.75, 700, 2));
    write('baseline/result.json', trained('baseline', 0.7, 690, 0.8));
    const backends: unknown[] = [];
    const report = await reportStage(root, { backend: (choice) => backends.push(choice) });
    expect(backends).toEqual([]);
    expect(report.stages.map((s) => s.name)).toEqual(['seed', 'shrink', 'expand', 'retrain', 'baseline']);
    expect(report.layers[0].expandedFlopsShare).toBe(300 / 700);
  });
});

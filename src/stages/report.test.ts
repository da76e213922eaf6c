import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../config/load.js';
import type { Manifest } from '../run-dir/run-dir.js';
import type { TrainedModel } from '../run-dir/trained-model.js';
import type { ExpandedStructure, StructureCost, StructureFile } from '../structure/structure-file.js';
import { INFERENCE_LATENCY_FORMAT, type InferenceLatencyFile, type PredictedMeasurement, type TimedModel } from '../latency/inference-latency-file.js';
import { renderReportTable } from '../cli/render-report.js';
import { renderHtmlReport } from './report-html.js';
import { assembleReport, latencyColumns, latencyComparison, needsSeed, reportStage, type ReportInputs } from './report.js';

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

/**
 * Latency files as retrain writes them, on wasm with 2 threads at batch 1 and the training batch 32:
 *   seed 2 ms / 40 ms, retrain 1 ms / 20 ms, baseline 1.5 ms / 30 ms (medians),
 * quartiles 10% either side; a table of the config (wasm-2t, batch 1) predicted batch 1 only.
 */
const timing = (batch: number, medianMs: number, predictedMs?: number): PredictedMeasurement => ({
  batch,
  backend: 'wasm',
  threads: 2,
  medianMs,
  p25Ms: 0.9 * medianMs,
  p75Ms: 1.1 * medianMs,
  repeats: 7,
  warmup: 3,
  measuredAt: '2026-01-01T00:02:00.000Z',
  ...(predictedMs !== undefined ? { predicted: { hardware: 'wasm-2t', table: 'latency/cnn-wasm-2t.json', ms: predictedMs } } : {}),
});
const latencyFile = (model: TimedModel, b1: number, b32: number, predictedB1?: number): InferenceLatencyFile => ({
  format: INFERENCE_LATENCY_FORMAT,
  model,
  statistic: 'median of 7 samples after 3 warm-up runs',
  batch1: timing(1, b1, predictedB1),
  trainingBatch: timing(32, b32),
});
const LATENCY = { seed: latencyFile('seed', 2, 40, 2.2), retrain: latencyFile('retrain', 1, 20, 1.1), baseline: latencyFile('baseline', 1.5, 30, 1.4) };

describe('measured inference latency in the report', () => {
  it('seed, retrain and baseline carry their measurements; the prediction apart, only where a table gave one', () => {
    const report = assembleReport(inputs({ latency: { files: LATENCY, warnings: [] } }));
    const byName = Object.fromEntries(report.stages.map((s) => [s.name, s]));
    const { predicted: _, ...seedBatch1 } = LATENCY.seed.batch1;
    expect(byName.seed.measuredLatency).toEqual({ batch1: seedBatch1, trainingBatch: LATENCY.seed.trainingBatch });
    expect(byName.seed.predictedLatency).toEqual({ batch1: { hardware: 'wasm-2t', table: 'latency/cnn-wasm-2t.json', ms: 2.2 } });
    expect([byName.retrain.measuredLatency?.batch1.medianMs, byName.baseline.measuredLatency?.trainingBatch.medianMs]).toEqual([1, 30]);
    // shrink and expand are not models that were timed.
    expect([byName.shrink.measuredLatency, byName.expand.measuredLatency]).toEqual([undefined, undefined]);
    // Without a prediction there is no predictedLatency at all.
    const unpredicted = assembleReport(inputs({ latency: { files: { retrain: latencyFile('retrain', 1, 20) }, warnings: [] } }));
    expect(unpredicted.stages.find((s) => s.name === 'retrain')).not.toHaveProperty('predictedLatency');
  });

  it('columns: latency b1, predicted b1, latency b32 (no table at 32: no predicted b32), only when something was timed', () => {
    const report = assembleReport(inputs({ latency: { files: LATENCY, warnings: [] } }));
    const columns = latencyColumns(report);
    expect(columns.map((c) => c.label)).toEqual(['latency b1', 'predicted b1', 'latency b32']);
    // Rows seed, shrink, expand, retrain, baseline.
    expect(columns.map((c) => report.stages.map((s) => c.msOf(s)))).toEqual([
      [2, undefined, undefined, 1, 1.5],
      [2.2, undefined, undefined, 1.1, 1.4],
      [40, undefined, undefined, 20, 30],
    ]);
    // 0.9 * 2 = 1.8 and 1.1 * 2 = 2.2.
    expect(columns[0].sourceOf(report.stages[0])).toBe('median of 7 samples on wasm 2 threads, batch 1; quartiles 1.8 ms to 2.2 ms; measured 2026-01-01T00:02:00.000Z');
    expect(columns[1].sourceOf(report.stages[0])).toBe('predicted by hardware wasm-2t: latency/cnn-wasm-2t.json');
    expect(latencyColumns(assembleReport(inputs()))).toEqual([]);
  });

  it('the comparison: MorphNet against uniform at batch 1, when both were timed on the same backend and threads', () => {
    expect(latencyComparison(assembleReport(inputs({ latency: { files: LATENCY, warnings: [] } })))).toEqual({ morphnetMs: 1, baselineMs: 1.5, batch: 1, on: 'wasm 2 threads' });
    const elsewhere = { ...LATENCY.baseline, batch1: { ...LATENCY.baseline.batch1, threads: 1 } };
    expect(latencyComparison(assembleReport(inputs({ latency: { files: { ...LATENCY, baseline: elsewhere }, warnings: [] } })))).toBeUndefined();
    expect(latencyComparison(assembleReport(inputs({ latency: { files: { seed: LATENCY.seed, retrain: LATENCY.retrain }, warnings: [] } })))).toBeUndefined();
  });
});

describe('measured inference latency, rendered', () => {
  const report = assembleReport(inputs({ latency: { files: LATENCY, warnings: [] } }));

  it('the terminal stage table gets the latency columns (ms, median) and the comparison line', () => {
    const text = renderReportTable(report);
    const cells = (start: string) => text.split('\n').find((line) => line.startsWith(`│ ${start} `))!.split('│').slice(1, -1).map((cell) => cell.trim());
    expect(cells('stage')).toEqual(['stage', 'status', 'FLOPs', 'params', 'val acc', 'test acc', 'multiplier', 'latency b1', 'predicted b1', 'latency b32']);
    expect(cells('seed')).toEqual(['seed', 'complete', '1k', '90', '', '', '', '2 ms', '2.2 ms', '40 ms']);
    expect(cells('baseline').slice(-3)).toEqual(['1.5 ms', '1.4 ms', '30 ms']);
    expect(text).toContain('MorphNet 1 ms vs uniform 1.5 ms (measured inference, batch 1, wasm 2 threads)');
    // Nothing timed: no latency columns, no latency line.
    const untimed = renderReportTable(assembleReport(inputs()));
    expect(untimed).not.toContain('latency b1');
    expect(untimed).not.toContain('measured inference');
  });

  it('the HTML stage table has the same columns, each cell saying where its figure comes from', () => {
    const html = renderHtmlReport(report);
    const table = html.slice(html.indexOf('<table id="stages">'), html.indexOf('</table>', html.indexOf('<table id="stages">')));
    expect(table).toContain('<th>multiplier</th><th>latency b1</th><th>predicted b1</th><th>latency b32</th></tr>');
    expect(table).toContain('<td class="latency" title="predicted by hardware wasm-2t: latency/cnn-wasm-2t.json">1.4 ms</td>');
    expect(table).toContain('title="median of 7 samples on wasm 2 threads, batch 32; quartiles 27 ms to 33 ms; measured 2026-01-01T00:02:00.000Z">30 ms</td>');
    expect(html).toContain('MorphNet <strong>1 ms</strong> vs uniform <strong>1.5 ms</strong> measured inference (batch 1, wasm 2 threads)');
    expect(renderHtmlReport(assembleReport(inputs()))).not.toContain('latency b1');
  });
});

describe('trained models timed in pairs with the seed', () => {
  // retrain at batch 1: 0.5 of the seed's time (quartiles 0.45, 0.55) over 15 pairs, the seed 2.1 ms in them; the
  // table predicts 1.1 ms for it and 2.2 for the seed: 50%. The baseline: 0.74 (0.7, 0.8), predicted 1.4 / 2.2 = 64%.
  const share = (median: number, p25: number, p75: number) => ({ median, p25, p75, pairs: 15, seedMedianMs: 2.1 });
  const paired = (file: InferenceLatencyFile, ofSeed: ReturnType<typeof share>, predictedOfSeed: number): InferenceLatencyFile => ({
    ...file,
    batch1: { ...file.batch1, repeats: 15, ofSeed, predicted: { ...file.batch1.predicted!, ofSeed: predictedOfSeed } },
  });
  const files = { seed: LATENCY.seed, retrain: paired(LATENCY.retrain, share(0.5, 0.45, 0.55), 1.1 / 2.2), baseline: paired(LATENCY.baseline, share(0.74, 0.7, 0.8), 1.4 / 2.2) };
  const report = assembleReport(inputs({ latency: { files, warnings: [] } }));

  it('cells show the share of the seed, measured and predicted, beside the ms; the seed has none', () => {
    const text = renderReportTable(report);
    const cells = (start: string) => text.split('\n').find((line) => line.startsWith(`│ ${start} `))!.split('│').slice(1, -1).map((cell) => cell.trim());
    expect(cells('seed').slice(-3)).toEqual(['2 ms', '2.2 ms', '40 ms']);
    // 1.1 / 2.2 = 50%; 1.4 / 2.2 = 63.6% -> 64%. Batch 32 was not paired in these files.
    expect(cells('retrain').slice(-3)).toEqual(['1 ms (50%)', '1.1 ms (50%)', '20 ms']);
    expect(cells('baseline').slice(-3)).toEqual(['1.5 ms (74%)', '1.4 ms (64%)', '30 ms']);
    expect(text).toContain('MorphNet 1 ms vs uniform 1.5 ms (measured inference, batch 1, wasm 2 threads; timed in pairs with the seed: 50% vs 74% of its time)');
  });

  it('the tooltips say how the share was measured and predicted', () => {
    const [measured, predicted] = latencyColumns(report);
    const retrain = report.stages.find((s) => s.name === 'retrain')!;
    expect(measured.sourceOf(retrain)).toBe(
      'median of 15 samples on wasm 2 threads, batch 1; quartiles 0.9 ms to 1.1 ms; timed in 15 pairs with the seed (2.1 ms): 50% of its time, quartiles 45% to 55%; measured 2026-01-01T00:02:00.000Z',
    );
    expect(predicted.sourceOf(retrain)).toBe('predicted by hardware wasm-2t: latency/cnn-wasm-2t.json; 50% of its prediction for the seed');
    expect(latencyComparison(report)?.shareOfSeed).toEqual({ morphnet: 0.5, baseline: 0.74 });
    expect(renderHtmlReport(report)).toContain('(batch 1, wasm 2 threads; timed in pairs with the seed: 50% vs 74% of its time)');
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
    write('seed/latency.json', LATENCY.seed);
    write('retrain/latency.json', LATENCY.retrain);
    write('baseline/latency.json', '{"format": "morphnet.inference-latency/0"}');
    const backends: unknown[] = [];
    const report = await reportStage(root, { backend: (choice) => backends.push(choice) });
    expect(backends).toEqual([]);
    expect(report.stages.map((s) => s.name)).toEqual(['seed', 'shrink', 'expand', 'retrain', 'baseline']);
    expect(report.layers[0].expandedFlopsShare).toBe(300 / 700);
    expect(report.stages.map((s) => s.measuredLatency?.trainingBatch.medianMs)).toEqual([40, undefined, undefined, 20, undefined]);
    expect(report.warnings).toEqual([
      `${join(root, 'baseline/latency.json')} is not an inference latency file (expected format "morphnet.inference-latency/1" with batch1 and trainingBatch timings); its latency is left out`,
    ]);
  });
});

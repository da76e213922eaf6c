import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { activeBackend } from '../backend/select.js';
import { resolveConfig } from '../config/load.js';
import { signedPercent } from '../config/percent.js';
import type { Resource } from '../cost/cost-model.js';
import { handMadeTable } from '../cost/latency-table-fixtures.js';
import { expandDetail } from './run.js';
import { budgetAboveSeedWarning, defaultRoundTo, expandStage, resolveTarget, targetFromConfig } from './expand.js';
import { FAST_PAIRS, measuredTable, tinyShrunkRun } from '../../test/stage-runs.js';

// zoo:cnn: 2 * (28*28*9*1*32 + 14*14*9*32*64 + 7*7*9*64*128 + 128*10) = 14,904,832 FLOPs.
const SEED_FLOPS = 2 * (28 * 28 * 9 * 1 * 32 + 14 * 14 * 9 * 32 * 64 + 7 * 7 * 9 * 64 * 128 + 128 * 10);
// Expanded to 1G: the learned widths times one multiplier; conv3 grows the most (1063 / 128 = 8.3x).
const GROUPS = [
  { layers: ['conv1', 'conv1_bn'], original: 32, width: 190 },
  { layers: ['conv2', 'conv2_bn'], original: 64, width: 262 },
  { layers: ['conv3', 'conv3_bn'], original: 128, width: 1063 },
  { layers: ['predictions'], original: 10, width: 10, fixed: true },
];

describe('a budget above the seed', () => {
  it('is named with the seed cost, the target and the layer that grows most, with the two fixes', () => {
    expect(SEED_FLOPS).toBe(14_904_832);
    expect(budgetAboveSeedWarning({ resource: 'flops', value: 1e9 }, SEED_FLOPS, GROUPS, undefined)).toBe(
      "the expand target 1G FLOPs is above the seed's own cost, 14.9M FLOPs: the expanded network is larger than the seed (conv3 grows from 128 to 1063 channels); " +
        "if that is not what you meant, cap the widths with expand.maxWidth (--max-width N), or choose a target at most the seed's 14.9M FLOPs",
    );
  });

  it('does not suggest maxWidth when it is set', () => {
    const warning = budgetAboveSeedWarning({ resource: 'size', value: 200_000 }, 93_728, GROUPS, 256);
    expect(warning).toContain("the expand target 200k params is above the seed's own cost, 93.7k params");
    expect(warning).not.toContain('maxWidth');
  });

  it('says nothing for a target at or below the seed cost', () => {
    expect(budgetAboveSeedWarning({ resource: 'flops', value: SEED_FLOPS }, SEED_FLOPS, GROUPS, undefined)).toBeUndefined();
    expect(budgetAboveSeedWarning({ resource: 'flops', value: 7.5e6 }, SEED_FLOPS, GROUPS, undefined)).toBeUndefined();
  });
});

describe('a target as a percentage of the seed\'s cost', () => {
  const seedCost = (resource: Resource) => ({ flops: SEED_FLOPS, size: 93_728, latency: 0.5, activations: 234 })[resource];

  it('a config key keeps "25%" until expand knows the seed, then resolves it against the seed\'s cost of that resource', () => {
    const target = targetFromConfig(resolveConfig({ model: { zoo: 'cnn' }, expand: { targetSize: '25%' } }));
    expect(target).toEqual({ resource: 'size', percentOfSeed: 25 });
    // 25% of 93,728 params = 23,432.
    expect(resolveTarget(target, seedCost)).toEqual({ resource: 'size', value: 23_432, percentOfSeed: 25 });
    // 150% of 14,904,832 FLOPs = 22,357,248: above the seed is allowed (expand warns).
    expect(resolveTarget({ resource: 'flops', percentOfSeed: 150 }, seedCost)).toEqual({ resource: 'flops', value: 22_357_248, percentOfSeed: 150 });
  });

  it('amounts and multipliers pass through as given', () => {
    expect(resolveTarget({ resource: 'latency', value: 0.2 }, seedCost)).toEqual({ resource: 'latency', value: 0.2 });
    expect(resolveTarget({ multiplier: 1.5 }, seedCost)).toEqual({ multiplier: 1.5 });
  });
});

describe('expand.roundTo by default', () => {
  const wasmTable = { name: 'wasm-2t', path: 'table.json', table: handMadeTable('fingerprint', [], 1, 0) };
  const nodeTable = { ...wasmTable, table: { ...wasmTable.table, backend: 'tensorflow' } };
  const roofline = { name: 'T4', peakGflops: 8100, bandwidthGBps: 320 };

  it('is 8 for a latency budget priced from a table measured on wasm, nothing otherwise', () => {
    expect(defaultRoundTo('latency', wasmTable)).toBe(8);
    expect(defaultRoundTo('latency', nodeTable)).toBeUndefined();
    expect(defaultRoundTo('latency', roofline)).toBeUndefined();
    expect(defaultRoundTo('flops', wasmTable)).toBeUndefined();
    expect(defaultRoundTo(undefined, wasmTable)).toBeUndefined();
  });

  it('expand --target-latency with a wasm table rounds to 8 and records it; a config roundTo wins; a FLOP budget is not rounded', async () => {
    const runDir = mkdtempSync(join(tmpdir(), 'morphnet-expand-'));
    const table = await measuredTable(runDir);
    await tinyShrunkRun(runDir, { hardware: { 'wasm-here': { table } } });
    // The seed's own latency: the learned widths (8, 16, 32 after two steps) fit as they are.
    const latency = await expandStage({ runDir, target: { resource: 'latency', percentOfSeed: 100 }, hardware: 'wasm-here', measure: false, toolVersion: 'test' });
    expect(latency.roundTo).toBe(8);
    for (const group of latency.groups.filter((g) => !g.fixed)) expect(group.width % 8, group.layers[0]).toBe(0);
    const explicit = await expandStage({ runDir, target: { resource: 'latency', percentOfSeed: 100 }, hardware: 'wasm-here', roundTo: 4, measure: false, force: true, toolVersion: 'test' });
    expect(explicit.roundTo).toBe(4);
    const flops = await expandStage({ runDir, target: { resource: 'flops', value: 600e3 }, force: true, toolVersion: 'test' });
    expect(flops.roundTo).toBeUndefined();
  }, 60_000);
});

describe('expand --target-latency with a table measured on the run\'s backend', () => {
  it('times the fitted structure against the seed and refits while it misses; --no-measure fits by the table alone', async () => {
    const runDir = mkdtempSync(join(tmpdir(), 'morphnet-expand-measured-'));
    const table = await measuredTable(runDir);
    await tinyShrunkRun(runDir, { hardware: { 'wasm-here': { table } } });
    const result = await expandStage({ runDir, target: { resource: 'latency', percentOfSeed: 100 }, hardware: 'wasm-here', roundTo: 1, measureProtocol: FAST_PAIRS, toolVersion: 'test' });
    const measured = result.measured!;
    expect(measured.on).toBe(`wasm, ${measuredOnThreads()}batch 1`);
    expect(measured.protocol).toEqual(FAST_PAIRS);
    expect(measured.attempts.length).toBeGreaterThanOrEqual(1);
    expect(measured.attempts.length).toBeLessThanOrEqual(3);
    const target = (result.target as { value: number }).value;
    // The first fit aims at the target itself; each attempt's landing is its share x the table's seed (the target: 100% of it).
    expect(measured.attempts[0].aimedMs).toBe(target);
    for (const a of measured.attempts) {
      expect(a.landedMs).toBeCloseTo(a.measuredShare * target, 9);
      expect(a.error).toBeCloseTo(a.landedMs / target - 1, 9);
    }
    // The widths written are the chosen attempt's: the table prices them at its prediction.
    expect(result.achieved).toBeCloseTo(measured.attempts[measured.chosen].predictedMs, 9);
    const unmeasured = await expandStage({ runDir, target: { resource: 'latency', percentOfSeed: 100 }, hardware: 'wasm-here', roundTo: 1, measure: false, force: true, toolVersion: 'test' });
    expect(unmeasured.measured).toBeUndefined();
    expect(unmeasured.achieved).toBeCloseTo(measured.attempts[0].predictedMs, 9);
    // What `morphnet run` prints when expand is done.
    const fits = measured.attempts.length;
    expect(expandDetail(result)).toBe(`multiplier ${result.multiplier.toFixed(3)}, measured ${signedPercent(measured.attempts[measured.chosen].error)} off the latency budget at the table's speed, ${fits} fit${fits === 1 ? '' : 's'}`);
    expect(expandDetail(unmeasured)).toBe(`multiplier ${unmeasured.multiplier.toFixed(3)}`);
  }, 60_000);
});

/** `2 threads, ` as measuredOn writes the wasm backend's threads here. */
function measuredOnThreads(): string {
  const threads = activeBackend()?.threads;
  return threads ? `${threads} thread${threads === 1 ? '' : 's'}, ` : '';
}

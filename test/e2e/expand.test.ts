import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { hasStackTrace, runCli, tempDir } from './cli.js';

const config = (width: number) => `
model: {zoo: cnn, options: {width: ${width}}}
data: {dataset: synthetic, samples: 128, batchSize: 32}
backend: wasm
shrink: {steps: 4, strength: 1.0e-6}
retrain: {steps: 4}
`;

/** Every file under a folder with its content, to see that a failed command changed nothing. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) out[join(entry.parentPath, entry.name)] = readFileSync(join(entry.parentPath, entry.name), 'latin1');
  }
  return out;
}

describe('expand and retrain refuse bad input and leave the run dir as it was', () => {
  const dir = tempDir();
  const runDir = join(dir, 'run');
  const otherRun = join(dir, 'other');

  beforeAll(() => {
    writeFileSync(join(dir, 'a.yaml'), config(0.25));
    writeFileSync(join(dir, 'b.yaml'), config(0.5));
    expect(runCli(['shrink', '-c', join(dir, 'a.yaml'), '-r', runDir]).code).toBe(0);
    expect(runCli(['shrink', '-c', join(dir, 'b.yaml'), '-r', otherRun]).code).toBe(0);
  });

  it('a budget below reach exits 3 with the smallest reachable cost', () => {
    const before = snapshot(runDir);
    const result = runCli(['expand', '-r', runDir, '--target-flops', '100']);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/--target-flops 100 is below the smallest reachable flops [\d.]+k \(largest: unbounded\)/);
    expect(hasStackTrace(result.stderr)).toBe(false);
    expect(snapshot(runDir)).toEqual(before);
  });

  it('a structure learned on another model is named as such', () => {
    const copy = join(dir, 'copy');
    cpSync(runDir, copy, { recursive: true });
    cpSync(join(otherRun, 'shrink/structure.json'), join(copy, 'shrink/structure.json'));
    const before = snapshot(copy);
    const result = runCli(['expand', '-r', copy, '--target-flops', '1M']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('belongs to another model');
    expect(snapshot(copy)).toEqual(before);
  });

  it('a run dir without shrink, or no run dir at all', () => {
    const empty = tempDir();
    const result = runCli(['expand', '-r', empty, '--target-flops', '1M']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('is not a morphnet run dir');
    expect(readdirSync(empty)).toEqual([]);
    const retrain = runCli(['retrain', '-r', runDir]);
    expect(retrain.code).toBe(2);
    expect(retrain.stderr).toContain('has no completed expand stage');
  });

  it('--target-flops fills the budget with single channels after the multiplier; --no-fill keeps the multiplier alone', () => {
    const copy = join(dir, 'fill');
    cpSync(runDir, copy, { recursive: true });
    const seedFlops = JSON.parse(readFileSync(join(copy, 'shrink/result.json'), 'utf8')).initialFlops;
    const target = Math.round(0.5 * seedFlops); // at 0.6 this tiny structure has no room for a single channel
    const filled = runCli(['expand', '-r', copy, '--target-flops', String(target), '--json']);
    expect(filled.code, filled.stderr).toBe(0);
    const withFill = JSON.parse(filled.stdout);
    const pure = JSON.parse(runCli(['expand', '-r', copy, '--target-flops', String(target), '--no-fill', '--force', '--json']).stdout);
    expect(pure.fill).toBe(false);
    expect(pure.filled).toEqual([]);
    expect(withFill.fill).toBe(true);
    expect(withFill.filled.length).toBeGreaterThan(0);
    expect(withFill.multiplier).toBe(pure.multiplier);
    expect(withFill.achieved).toBeLessThanOrEqual(target);
    expect(withFill.achieved).toBeGreaterThanOrEqual(pure.achieved);
    // Every added channel raised its group by one, from the multiplier's width to the final one.
    for (const group of withFill.groups) {
      const added = withFill.filled.filter((f: { group: number }) => f.group === group.id).length;
      expect(group.width - pure.groups[group.id].width).toBe(added);
    }
  });

  it('--round-to 4 gives widths in multiples of 4 (or removed) within the budget, the fill in steps of 4; --round-to 0 exits 2', () => {
    const copy = join(dir, 'round');
    cpSync(runDir, copy, { recursive: true });
    const seedFlops = JSON.parse(readFileSync(join(copy, 'shrink/result.json'), 'utf8')).initialFlops;
    const target = Math.round(0.5 * seedFlops);
    const result = runCli(['expand', '-r', copy, '--target-flops', String(target), '--round-to', '4', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const rounded = JSON.parse(result.stdout);
    expect(rounded.fill).toBe(true);
    expect(rounded.achieved).toBeLessThanOrEqual(target);
    // zoo:cnn at width 0.25 has 8/16/32-channel groups, all prunable: every width is 0 or a multiple of 4, and so is every fill step.
    for (const group of rounded.groups.filter((g: { fixed?: boolean }) => !g.fixed)) expect(group.width % 4).toBe(0);
    for (const step of rounded.filled) expect(step.width % 4).toBe(0);
    const bad = runCli(['expand', '-r', copy, '--target-flops', String(target), '--round-to', '0', '--force']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--round-to: expected a positive whole number of channels, received "0"');
  });

  it('--target-flops 50% is half the seed\'s own FLOPs, resolved by expand and recorded with the share; above 100% warns', () => {
    const copy = join(dir, 'percent');
    cpSync(runDir, copy, { recursive: true });
    // zoo:cnn at width 0.25: 2 * (28*28*9*1*8 + 14*14*9*8*16 + 7*7*9*16*32 + 32*10) = 1,016,704 FLOPs; half is 508,352.
    const half = runCli(['expand', '-r', copy, '--target-flops', '50%', '--json']);
    expect(half.code, half.stderr).toBe(0);
    const structure = JSON.parse(half.stdout);
    expect(structure.target).toEqual({ resource: 'flops', value: 508_352, percentOfSeed: 50 });
    expect(structure.achieved).toBeLessThanOrEqual(508_352);
    expect(JSON.parse(readFileSync(join(copy, 'expand/structure.json'), 'utf8')).target.value).toBe(508_352);
    const above = runCli(['expand', '-r', copy, '--target-flops', '150%', '--force']);
    expect(above.code, above.stderr).toBe(0);
    // 1.5 * 1,016,704 = 1,525,056.
    expect(above.stdout).toContain("expanded to flops <= 1.53M (150% of the seed's)");
    expect(above.stderr).toContain("the expand target 1.53M FLOPs is above the seed's own cost, 1.02M FLOPs");
  });

  it('expand then retrain --init pruned works on the shrunk run', () => {
    const expand = runCli(['expand', '-r', runDir, '--multiplier', '1', '--json']);
    expect(expand.code).toBe(0);
    const structure = JSON.parse(expand.stdout);
    expect(structure.multiplier).toBe(1);
    expect(runCli(['expand', '-r', runDir, '--multiplier', '1']).stderr).toContain('already complete');
    const retrain = runCli(['retrain', '-r', runDir, '--init', 'pruned', '--json']);
    expect(retrain.code).toBe(0);
    const result = JSON.parse(retrain.stdout);
    expect(result.retrain.steps).toBe(4);
    expect(result.retrain.cost.flops).toBe(structure.cost.flops);
  });
});

import { describe, expect, it } from 'vitest';
import { sweepStatistics, type ArmResult } from '../sweep/summary.js';
import type { SweepSummary } from '../sweep/sweep-file.js';
import { renderSweepHtml } from './sweep-html.js';

const result = (arm: ArmResult['arm'], budget: string, seed: number, accuracy: number, flops: number, strength = 1e-7, latency?: number): ArmResult => ({
  run: arm === 'seed' ? `seed-seed${seed}` : `morphnet-${budget}${strength === 3e-7 ? '-3e-7' : ''}-seed${seed}`,
  arm,
  budget,
  budgetAmount: budget === '100pct' ? 100 : 50,
  shrink: `shrink-${strength}`,
  strength,
  seed,
  cost: { flops, params: flops / 10, ...(latency !== undefined ? { latency } : {}) },
  accuracy,
});

function summaryOf(results: ArmResult[], pick: 'closest' | 'all' = 'closest'): SweepSummary {
  return {
    format: 'morphnet.sweep/1',
    sweepDir: '/sweeps/example',
    model: 'zoo:cnn',
    target: 'flops',
    seedCost: 100,
    metric: 'test',
    pick,
    strengths: [1e-7, 3e-7],
    budgets: [{ label: '50pct', amount: 50, fraction: 0.5 }],
    seeds: [1, 2],
    arms: ['morphnet', 'uniform', 'seed'],
    shrinks: [],
    runs: [],
    results,
    statistics: sweepStatistics(results, pick, 'test'),
    config: {},
  };
}

/** Seeds 1 and 2: MorphNet and uniform at 50% (50 FLOPs), the seed at 100. */
const RESULTS = [1, 2].flatMap((seed) => [result('morphnet', '50pct', seed, 0.9 + seed / 100, 49), result('uniform', '50pct', seed, 0.89, 48), result('seed', '100pct', seed, 0.95, 100)]);

const count = (html: string, pattern: RegExp) => html.match(new RegExp(pattern, 'g'))?.length ?? 0;
const chart = (html: string, id: string) => html.slice(html.indexOf(`<svg id="${id}"`), html.indexOf('</svg>', html.indexOf(`<svg id="${id}"`)));

describe('sweep.html', () => {
  it('a chart per cost: a point per arm and budget, linked to its first seed\'s report, every run as a dot', () => {
    const html = renderSweepHtml(summaryOf(RESULTS));
    for (const id of ['flops', 'params']) {
      const svg = chart(html, id);
      expect(count(svg, /<circle class="point"/)).toBe(3);
      expect(count(svg, /<circle class="run"/)).toBe(6);
      expect(svg).toContain('<a href="morphnet-50pct-seed1/report.html"><circle class="point" data-arm="morphnet" data-budget="50pct"');
      expect(svg).toContain('<a href="seed-seed2/report.html"><circle class="run"');
      // The seed's mean, 95%, is the reference line.
      expect(svg).toContain('seed 95.0% = 100%');
    }
    // No latency without hardware; self-contained: no scripts, no remote URLs.
    expect(html).not.toContain('<svg id="latency"');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
  });

  it('error bars are ±1 sample std: MorphNet 0.91 and 0.92 give mean 91.5% ± 0.71%', () => {
    // std = |0.91 - 0.92| / sqrt(2) = 0.0070711.
    const html = renderSweepHtml(summaryOf(RESULTS));
    expect(html).toContain('morphnet at 50pct: 91.50% ± 0.71% over 2 seeds');
    // A bar per arm with 2 seeds (of zero length where both seeds scored alike); none for a single seed.
    expect(count(chart(html, 'flops'), /class="error-bar"/)).toBe(3);
    expect(count(chart(renderSweepHtml(summaryOf(RESULTS.filter((r) => r.seed === 1))), 'flops'), /class="error-bar"/)).toBe(0);
  });

  it('the interval table: MorphNet minus uniform per budget', () => {
    // differences 0.02 and 0.03: mean +2.50 points, sd 0.0070711, half-width 12.7062 * 0.0070711 / sqrt(2) = 0.063531 -> [-3.85, +8.85].
    const html = renderSweepHtml(summaryOf(RESULTS));
    expect(html).toContain('<td>50pct</td><td>1e-7</td><td>2</td><td>+2.50</td><td>[&minus;3.85, +8.85]</td>');
  });

  it('goal shrinks read as their goal and the lambda their steering ended at', () => {
    const goal = RESULTS.map((r) => (r.arm === 'morphnet' ? { ...r, shrink: 'shrink-goal-50pct', strength: 1.234e-5, goal: '50%' } : r));
    const summary = { ...summaryOf(goal), strengths: [1.234e-5], shrinks: [{ run: 'shrink-goal-50pct', strength: 1.234e-5, goal: '50%', learnedCost: 51, cost: { flops: 51, params: 5.1 }, budgets: ['50pct'] }] };
    const html = renderSweepHtml(summary);
    expect(html).toContain('1 shrink seeking its budget, 1 budget');
    // The statistics, the differences (+2.50 points as above) and the sub-run tables.
    expect(html).toContain('<td>50pct</td><td>goal 50% (λ 1.23e-5)</td><td>2</td><td>+2.50</td>');
    expect(count(html, /goal 50% \(λ 1.23e-5\)/)).toBe(1 + 1 + 1 + 2);
  });

  it('pick all draws MorphNet as a line per strength; latency gets its chart when every model has one', () => {
    const all = [
      ...RESULTS.map((r) => ({ ...r, cost: { ...r.cost, latency: r.cost.flops / 1000 } })),
      ...[1, 2].map((seed) => result('morphnet', '50pct', seed, 0.88, 50, 3e-7, 0.05)),
      ...[1, 2].map((seed) => result('morphnet', '30pct', seed, 0.86, 30, 3e-7, 0.03)),
    ];
    const html = renderSweepHtml(summaryOf(all, 'all'));
    expect(html).toContain('<svg id="latency"');
    const svg = chart(html, 'flops');
    expect(svg).toContain('data-line="morphnet 3e-7"');
    expect(svg).toContain('>morphnet 1e-7</text>');
    expect(count(svg, /<circle class="point"/)).toBe(5);
  });
});

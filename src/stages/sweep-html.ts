import { formatSi } from '../config/si-number.js';
import { writeFileAtomic } from '../run-dir/atomic.js';
import { ARMS } from '../sweep/arms.js';
import { formatAmount, shrinkLabel, strengthLabel, sweepTargetText } from '../sweep/budgets.js';
import type { ArmStatistics, ModelCost } from '../sweep/summary.js';
import { reportLink, type SweepSummary } from '../sweep/sweep-file.js';
import { linearScale, niceTicks } from './report-html.js';
import { escapeHtml } from './html-escape.js';

const percent = (accuracy: number, digits = 2) => `${(100 * accuracy).toFixed(digits)}%`;
const points = (difference: number) => `${difference >= 0 ? '+' : '&minus;'}${Math.abs(100 * difference).toFixed(2)}`;
const GRID = '#e3e7ec';
const AXIS = '#7a8591';
/** Further MorphNet lines (one per strength under `pick: all`) in blues and greens. */
const STRENGTH_COLORS = ['#2b6cb0', '#2c7a7b', '#3182ce', '#38a169', '#1a365d', '#4fd1c5'];

type CostKey = keyof ModelCost;
const COST_AXES: Array<{ key: CostKey; title: string; format: (value: number) => string }> = [
  { key: 'flops', title: 'FLOPs', format: formatSi },
  { key: 'params', title: 'params', format: formatSi },
  { key: 'latency', title: 'latency (ms)', format: (ms) => `${Number(ms.toPrecision(3))}` },
];

/** A line of the chart: one arm, or MorphNet at one strength under `pick: all`. */
interface Line {
  name: string;
  color: string;
  groups: ArmStatistics[];
}

function lines(summary: SweepSummary): Line[] {
  const byName = new Map<string, Line>();
  const strengths = [...new Set(summary.statistics.arms.flatMap((g) => (g.strength !== undefined ? [g.strength] : [])))];
  for (const group of summary.statistics.arms) {
    const perStrength = summary.pick === 'all' && group.strength !== undefined;
    const name = perStrength ? `${group.arm} ${strengthLabel(group.strength!)}` : group.arm;
    const color = perStrength ? STRENGTH_COLORS[strengths.indexOf(group.strength!) % STRENGTH_COLORS.length] : ARMS[group.arm].color;
    const line = byName.get(name) ?? { name, color, groups: [] };
    line.groups.push(group);
    byName.set(name, line);
  }
  return [...byName.values()];
}

/** Accuracy against one cost: a line per arm through its budgets, ±1 sample std bars, every run as a small dot, the seed as the reference. */
function tradeOffChart(summary: SweepSummary, axis: (typeof COST_AXES)[number]): string {
  const all = lines(summary);
  const groups = summary.statistics.arms;
  const [width, height] = [640, 320];
  const area = { left: 60, right: width - 130, top: 16, bottom: height - 44 };
  const spreadOf = (g: ArmStatistics) => g.accuracy.std ?? 0;
  const runAccuracies = summary.results.map((r) => r.accuracy);
  const yLow = Math.min(...groups.map((g) => g.accuracy.mean - spreadOf(g)), ...runAccuracies);
  const yHigh = Math.max(...groups.map((g) => g.accuracy.mean + spreadOf(g)), ...runAccuracies);
  const xTicks = niceTicks(0, Math.max(...groups.map((g) => g.cost[axis.key] ?? 0)), 5);
  // Accuracy lives in [0, 100]%: the axis and the bars stop there.
  const yTicks = niceTicks(Math.max(0, 100 * yLow - 0.5), Math.min(100, 100 * yHigh + 0.5), 4);
  const x = linearScale([xTicks[0], xTicks.at(-1)!], [area.left, area.right]);
  const yScale = linearScale([yTicks[0], yTicks.at(-1)!], [area.bottom, area.top]);
  const y = (value: number) => yScale(Math.min(Math.max(value, yTicks[0]), yTicks.at(-1)!));
  const at = (g: ArmStatistics) => [x(g.cost[axis.key]!), y(100 * g.accuracy.mean)] as const;

  const grid = yTicks.map((t) => `<line x1="${area.left}" y1="${y(t).toFixed(1)}" x2="${area.right}" y2="${y(t).toFixed(1)}" stroke="${GRID}"/><text class="tick y-tick" x="${area.left - 5}" y="${y(t).toFixed(1)}" dy="0.32em" text-anchor="end">${t}%</text>`);
  const xMarks = xTicks.map((t) => `<line x1="${x(t).toFixed(1)}" y1="${area.bottom}" x2="${x(t).toFixed(1)}" y2="${area.bottom + 4}" stroke="${AXIS}"/><text class="tick x-tick" x="${x(t).toFixed(1)}" y="${area.bottom + 16}" text-anchor="middle">${axis.format(t)}</text>`);
  const frame = `<line x1="${area.left}" y1="${area.bottom}" x2="${area.right}" y2="${area.bottom}" stroke="${AXIS}"/><line x1="${area.left}" y1="${area.top}" x2="${area.left}" y2="${area.bottom}" stroke="${AXIS}"/>`;
  const titles = `<text class="axis-title" x="${(area.left + area.right) / 2}" y="${area.bottom + 34}" text-anchor="middle">${escapeHtml(axis.title)}</text><text class="axis-title" x="14" y="${(area.top + area.bottom) / 2}" text-anchor="middle" transform="rotate(-90 14 ${(area.top + area.bottom) / 2})">${summary.metric} accuracy</text>`;
  const seed = summary.statistics.seed;
  const reference = seed
    ? `<line class="seed-reference" x1="${area.left}" y1="${y(100 * seed.mean).toFixed(1)}" x2="${area.right}" y2="${y(100 * seed.mean).toFixed(1)}" stroke="${ARMS.seed.color}" stroke-dasharray="4 3"/><text class="reference-label" x="${area.right + 6}" y="${y(100 * seed.mean).toFixed(1)}" dy="0.32em">seed ${percent(seed.mean, 1)} = 100%</text>`
    : '';

  const drawn = all.map((line) => {
    const sorted = [...line.groups].sort((a, b) => a.cost[axis.key]! - b.cost[axis.key]!);
    const path = sorted.length > 1 ? `<path class="line" data-line="${escapeHtml(line.name)}" d="${sorted.map((g, i) => `${i ? 'L' : 'M'}${at(g)[0].toFixed(1)},${at(g)[1].toFixed(1)}`).join('')}" fill="none" stroke="${line.color}" stroke-width="1.75"/>` : '';
    const marks = sorted.map((g) => {
      const [cx, cy] = at(g);
      const std = g.accuracy.std;
      const bar = std !== undefined ? `<line class="error-bar" x1="${cx.toFixed(1)}" y1="${y(100 * (g.accuracy.mean - std)).toFixed(1)}" x2="${cx.toFixed(1)}" y2="${y(100 * (g.accuracy.mean + std)).toFixed(1)}" stroke="${line.color}"/>` : '';
      const tip = `${line.name} at ${escapeHtml(g.budget)}: ${percent(g.accuracy.mean)}${std !== undefined ? ` ± ${percent(std)}` : ''} over ${g.accuracy.n} seed${g.accuracy.n === 1 ? '' : 's'}, ${axis.format(g.cost[axis.key]!)} ${axis.key === 'latency' ? 'ms' : escapeHtml(axis.title)}`;
      return `${bar}<a href="${escapeHtml(reportLink(g.runs[0]))}"><circle class="point" data-arm="${g.arm}" data-budget="${escapeHtml(g.budget)}" cx="${cx.toFixed(1)}" cy="${cy.toFixed(1)}" r="5" fill="${line.color}"><title>${tip}</title></circle></a>`;
    });
    const last = sorted.at(-1)!;
    const label = `<text class="line-label" x="${(at(last)[0] + 9).toFixed(1)}" y="${(at(last)[1] - 8).toFixed(1)}" fill="${line.color}">${escapeHtml(line.name)}</text>`;
    return path + marks.join('') + label;
  });
  const runs = summary.results.map((r) => {
    const color = all.find((line) => line.groups.some((g) => g.runs.includes(r.run) && g.arm === r.arm))?.color ?? AXIS;
    return `<a href="${escapeHtml(reportLink(r.run))}"><circle class="run" cx="${x(r.cost[axis.key]!).toFixed(1)}" cy="${y(100 * r.accuracy).toFixed(1)}" r="2.5" fill="white" stroke="${color}"><title>${escapeHtml(r.run)}: ${r.arm} ${percent(r.accuracy)}</title></circle></a>`;
  });
  return `<svg id="${axis.key}" class="chart" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="${summary.metric} accuracy against ${escapeHtml(axis.title)}">
${grid.join('')}${frame}${xMarks.join('')}${titles}${reference}${runs.join('')}${drawn.join('')}</svg>`;
}

function legend(summary: SweepSummary): string {
  return `<p class="legend">${lines(summary)
    .map((line) => `<span class="key"><span class="swatch" style="background:${line.color}"></span>${escapeHtml(line.name)}</span>`)
    .join('')} &middot; big dots: mean over seeds, bars: &plusmn;1 sample std, small dots: single runs (each links to its report)</p>`;
}

function statisticsTable(summary: SweepSummary): string {
  const latency = summary.statistics.arms.every((g) => g.cost.latency !== undefined);
  const rows = summary.statistics.arms.map((g) => {
    const cells = [
      `<a href="${escapeHtml(reportLink(g.runs[0]))}">${escapeHtml(g.arm)}</a>`,
      escapeHtml(g.budget),
      g.strength !== undefined ? escapeHtml(shrinkLabel(g.strength, g.goal)) : '',
      formatSi(g.cost.flops),
      formatSi(g.cost.params),
      ...(latency ? [`${Number(g.cost.latency!.toPrecision(3))}`] : []),
      String(g.accuracy.n),
      percent(g.accuracy.mean),
      g.accuracy.std !== undefined ? percent(g.accuracy.std) : '',
      g.relativeToSeed !== undefined ? percent(g.relativeToSeed, 1) : '',
    ];
    return `<tr data-arm="${g.arm}">${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
  });
  const head = ['arm', 'budget', 'strength', 'FLOPs', 'params', ...(latency ? ['latency ms'] : []), 'seeds', `mean ${summary.metric} acc`, 'std', 'vs seed'];
  return `<table id="statistics"><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function differenceTable(summary: SweepSummary): string {
  const differences = summary.statistics.differences;
  if (differences.length === 0) return '<p>No budget has both MorphNet and the uniform baseline.</p>';
  const rows = differences.map((d) => {
    const interval = d.difference.low !== undefined ? `[${points(d.difference.low)}, ${points(d.difference.high!)}]` : 'one seed: no interval';
    return `<tr><td>${escapeHtml(d.budget)}</td><td>${d.strength !== undefined ? escapeHtml(shrinkLabel(d.strength, d.goal)) : ''}</td><td>${d.difference.n}</td><td>${points(d.difference.mean)}</td><td>${interval}</td></tr>`;
  });
  return `<table id="differences"><thead><tr><th>budget</th><th>strength</th><th>pairs</th><th>MorphNet &minus; uniform (points)</th><th>95% interval</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function runTable(summary: SweepSummary): string {
  const shrinkRows = summary.shrinks.map(
    (s) => `<tr><td><a href="${escapeHtml(reportLink(s.run))}">${escapeHtml(s.run)}</a></td><td>shrink</td><td>${escapeHtml(shrinkLabel(s.strength, s.goal))}</td><td>${escapeHtml(s.budgets.join(', '))}</td><td></td><td>${formatAmount(summary.target, s.learnedCost)} learned</td><td></td></tr>`,
  );
  const armRows = summary.results.map(
    (r) => `<tr><td><a href="${escapeHtml(reportLink(r.run))}">${escapeHtml(r.run)}</a></td><td>${r.arm}</td><td>${ARMS[r.arm].everyShrink ? escapeHtml(shrinkLabel(r.strength, r.goal)) : ''}</td><td>${escapeHtml(r.budget)}</td><td>${r.seed}</td><td>${formatSi(r.cost.flops)} FLOPs</td><td>${percent(r.accuracy)}</td></tr>`,
  );
  return `<table id="runs"><thead><tr><th>run dir</th><th>arm</th><th>strength</th><th>budget</th><th>seed</th><th>cost</th><th>${summary.metric} acc</th></tr></thead><tbody>${shrinkRows.join('')}${armRows.join('')}</tbody></table>`;
}

/** `5 strengths`, or `2 shrinks seeking their budgets`. */
function shrinkCount(summary: SweepSummary): string {
  const n = summary.shrinks.length;
  return summary.shrinks.some((s) => s.goal !== undefined) ? `${n} shrink${n === 1 ? '' : 's'} seeking ${n === 1 ? 'its budget' : 'their budgets'}` : `${n} strength${n === 1 ? '' : 's'}`;
}

function headline(summary: SweepSummary): string {
  const seed = summary.statistics.seed;
  const facts = [
    sweepTargetText(summary),
    `${shrinkCount(summary)}, ${summary.budgets.length} budget${summary.budgets.length === 1 ? '' : 's'}, seeds ${summary.seeds.join(', ')}, pick ${summary.pick}`,
    summary.backend ? `backend ${escapeHtml(summary.backend)}` : '',
  ].filter(Boolean);
  const reference = seed ? `<p>The seed network scores ${percent(seed.mean)} (${summary.metric}, mean over ${seed.n} seed${seed.n === 1 ? '' : 's'}): the 100% of the "vs seed" column.</p>` : '';
  const note = summary.metricNote ? `<p class="note">${escapeHtml(summary.metricNote)}</p>` : '';
  return `<header id="headline"><h1>morphnet sweep: ${escapeHtml(summary.model)}</h1><p class="context">${facts.join(' &middot; ')}</p>${reference}${note}
<p>Error bars are &plusmn;1 sample standard deviation over seeds; the MorphNet &minus; uniform intervals are 95% Student t intervals of the differences paired by seed (df = seeds &minus; 1).</p></header>`;
}

const STYLE = `body{font-family:system-ui,sans-serif;margin:24px;color:#222;font-size:14px}h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
#headline{border:1px solid #d5dce4;border-radius:6px;padding:14px 18px;background:#f7f9fb;overflow-wrap:anywhere}.context{color:#555}.note{background:#fff4d6;color:#6b4b00;padding:4px 8px;border-radius:4px}
table{border-collapse:collapse}td,th{border:1px solid #d5dce4;padding:2px 8px;text-align:right;white-space:nowrap}td:first-child,th:first-child{text-align:left}th{background:#f2f5f8;font-weight:600}
.charts{display:flex;flex-wrap:wrap;gap:16px}.legend{color:#555}.key{margin-right:12px}.swatch{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:-1px}
svg text{font-size:11px;fill:#333}svg .axis-title{fill:#555}svg .line-label{font-weight:600}svg a circle.point:hover{stroke:#222;stroke-width:2}`;

/** The sweep as one self-contained page (no scripts, no network): trade-off charts, statistics, every sub-run linked to its report. */
export function renderSweepHtml(summary: SweepSummary): string {
  const axes = COST_AXES.filter((axis) => summary.statistics.arms.length > 0 && summary.statistics.arms.every((g) => g.cost[axis.key] !== undefined));
  const charts = axes.map((axis) => tradeOffChart(summary, axis));
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>morphnet sweep: ${escapeHtml(summary.model)}</title>
<style>${STYLE}</style></head><body>
${headline(summary)}
<h2>Accuracy against cost</h2>${legend(summary)}<div class="charts">${charts.join('')}</div>
<h2>Per arm and budget</h2>${statisticsTable(summary)}
<h2>MorphNet minus uniform, paired by seed</h2>${differenceTable(summary)}
<h2>Sub-runs</h2>${runTable(summary)}
</body></html>
`;
}

export function writeSweepHtml(summary: SweepSummary, path: string): string {
  writeFileAtomic(path, renderSweepHtml(summary));
  return path;
}

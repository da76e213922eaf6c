import { formatSi } from '../config/si-number.js';
import { writeFileAtomic } from '../run-dir/atomic.js';
import { runDirLayout } from '../run-dir/run-dir.js';
import type { Report } from './report.js';

const escape = (text: string) => text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
/** An accuracy in percent, or blank when none was measured (no validation set): never `NaN%` or `0.00%`. */
const isMeasured = (accuracy: number | null | undefined): accuracy is number => typeof accuracy === 'number' && Number.isFinite(accuracy);
const percentCell = (accuracy: number | null | undefined) => (isMeasured(accuracy) ? `${(100 * accuracy).toFixed(2)}%` : '');
const COLORS = { seed: '#9aa5b1', shrunk: '#d9822b', expanded: '#2b6cb0', baseline: '#7b3fa0' };

/** Grouped bars: seed / learned / expanded width of every layer (the MorphNet paper's figure). */
function widthChart(report: Report): string {
  const series = (['seed', 'shrunk', 'expanded'] as const).filter((key) => report.layers.some((l) => l[key] !== undefined));
  const max = Math.max(1, ...report.layers.flatMap((l) => series.map((key) => l[key] ?? 0)));
  const slot = 14 * series.length + 10;
  const width = Math.max(400, 60 + slot * report.layers.length);
  const height = 260;
  const bars = report.layers.flatMap((layer, i) =>
    series.map((key, j) => {
      const value = layer[key] ?? 0;
      const h = (value / max) * (height - 90);
      const x = 50 + i * slot + j * 14;
      return `<rect class="bar-${key}" x="${x}" y="${height - 60 - h}" width="12" height="${h}" fill="${COLORS[key]}"><title>${escape(layer.name)} ${key}: ${value}</title></rect>`;
    }),
  );
  const labels = report.layers.map((layer, i) => `<text x="${50 + i * slot}" y="${height - 45}" font-size="10" transform="rotate(35 ${50 + i * slot} ${height - 45})">${escape(layer.name)}</text>`);
  const legend = series.map((key, j) => `<rect x="${50 + j * 90}" y="8" width="10" height="10" fill="${COLORS[key]}"/><text x="${64 + j * 90}" y="17" font-size="12">${key}</text>`);
  return `<svg id="widths" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="channels per layer">
<text x="8" y="${height / 2}" font-size="11" transform="rotate(-90 8 ${height / 2})">channels (max ${max})</text>
${legend.join('')}${bars.join('')}${labels.join('')}</svg>`;
}

/** A line chart of one series over shrink steps. */
function lineChart(id: string, title: string, points: Array<[number, number]>, color: string): string {
  const width = 420;
  const height = 200;
  if (points.length === 0) return `<p>no ${escape(title)} recorded</p>`;
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(0, ...ys), Math.max(...ys)];
  const sx = (x: number) => 45 + ((x - x0) / Math.max(1e-12, x1 - x0)) * (width - 60);
  const sy = (y: number) => height - 30 - ((y - y0) / Math.max(1e-12, y1 - y0)) * (height - 50);
  const path = points.map(([x, y], i) => `${i ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join('');
  return `<svg id="${id}" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="${escape(title)}">
<text x="45" y="14" font-size="12">${escape(title)}</text>
<line x1="45" y1="${height - 30}" x2="${width - 15}" y2="${height - 30}" stroke="#888"/><line x1="45" y1="20" x2="45" y2="${height - 30}" stroke="#888"/>
<text x="2" y="${sy(y1) + 4}" font-size="10">${formatSi(y1)}</text><text x="2" y="${sy(y0)}" font-size="10">${formatSi(y0)}</text>
<text x="45" y="${height - 12}" font-size="10">step ${x0}</text><text x="${width - 70}" y="${height - 12}" font-size="10">step ${x1}</text>
<path d="${path}" fill="none" stroke="${color}" stroke-width="1.5"/></svg>`;
}

/** Accuracy against FLOPs for every stage that has both. */
function accuracyChart(report: Report): string {
  const points = report.stages
    .map((s) => ({ name: s.name, flops: s.cost.flops, accuracy: isMeasured(s.testAccuracy) ? s.testAccuracy : s.valAccuracy }))
    .filter((p): p is { name: Report['stages'][number]['name']; flops: number; accuracy: number } => isMeasured(p.accuracy));
  const width = 560;
  const height = 220;
  if (points.length === 0) return '<p>no accuracy recorded yet</p>';
  const maxFlops = Math.max(...points.map((p) => p.flops));
  const accs = points.map((p) => p.accuracy);
  const [a0, a1] = [Math.min(...accs) - 0.01, Math.max(...accs) + 0.01];
  const sx = (f: number) => 50 + (f / maxFlops) * (width - 180);
  const sy = (a: number) => height - 30 - ((a - a0) / Math.max(1e-9, a1 - a0)) * (height - 60);
  const color = (name: string) => (name === 'baseline' ? COLORS.baseline : name === 'shrink' ? COLORS.shrunk : COLORS.expanded);
  const dots = points.map(
    (p) => `<circle cx="${sx(p.flops).toFixed(1)}" cy="${sy(p.accuracy).toFixed(1)}" r="5" fill="${color(p.name)}"><title>${p.name}: ${(100 * p.accuracy).toFixed(2)}% at ${formatSi(p.flops)} FLOPs</title></circle><text x="${sx(p.flops) + 8}" y="${sy(p.accuracy) + 4}" font-size="11">${p.name} ${(100 * p.accuracy).toFixed(1)}%</text>`,
  );
  return `<svg id="accuracy" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="accuracy against FLOPs">
<line x1="50" y1="${height - 30}" x2="${width - 20}" y2="${height - 30}" stroke="#888"/><line x1="50" y1="20" x2="50" y2="${height - 30}" stroke="#888"/>
<text x="${width / 2 - 20}" y="${height - 8}" font-size="11">FLOPs (max ${formatSi(maxFlops)})</text>
<text x="2" y="${sy(a1) + 4}" font-size="10">${(100 * a1).toFixed(1)}%</text><text x="2" y="${sy(a0)}" font-size="10">${(100 * a0).toFixed(1)}%</text>
${dots.join('')}</svg>`;
}

/** One self-contained HTML page: tables and inline SVG charts, no scripts, no network. */
export function renderHtmlReport(report: Report): string {
  const rows = report.stages
    .map((s) => `<tr><td>${s.name}</td><td>${s.status}</td><td>${formatSi(s.cost.flops)}</td><td>${formatSi(s.cost.params)}</td><td>${percentCell(s.valAccuracy)}</td><td>${percentCell(s.testAccuracy)}</td></tr>`)
    .join('');
  const curve = report.shrinkCurve;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>morphnet report: ${escape(report.model)}</title>
<style>body{font-family:system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child{text-align:left}.charts{display:flex;flex-wrap:wrap;gap:16px}</style></head><body>
<h1>morphnet report</h1><p>${escape(report.model)} &middot; ${escape(report.runDir)}${report.backend ? ` &middot; backend ${escape(report.backend)}` : ''}</p>
${(report.warnings ?? []).map((warning) => `<p class="warning">warning: ${escape(warning)}</p>`).join('')}
<h2>Stages</h2><table><tr><th>stage</th><th>status</th><th>FLOPs</th><th>params</th><th>val acc</th><th>test acc</th></tr>${rows}</table>
<h2>Channels per layer</h2>${widthChart(report)}
<h2>Shrink</h2><div class="charts">${lineChart('loss', 'loss', curve.map((p) => [p.step, p.loss]), '#c53030')}${lineChart('cost', 'cost of the target resource', curve.map((p) => [p.step, p.cost]), COLORS.expanded)}${lineChart('alive', 'alive channels', curve.map((p) => [p.step, p.alive]), COLORS.shrunk)}</div>
<h2>Accuracy against FLOPs</h2>${accuracyChart(report)}
</body></html>
`;
}

export function writeHtmlReport(report: Report): string {
  const path = runDirLayout(report.runDir).reportHtml;
  writeFileAtomic(path, renderHtmlReport(report));
  return path;
}

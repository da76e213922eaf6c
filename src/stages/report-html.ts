import { formatSi } from '../config/si-number.js';
import { writeFileAtomic } from '../run-dir/atomic.js';
import { runDirLayout } from '../run-dir/run-dir.js';
import { stageCommand } from '../run-dir/stage-commands.js';
import { comparedShares, formatMs, latencyCellText, latencyColumns, latencyComparison, type LatencyColumn, type Report, type ReportLayer, type ReportStage } from './report.js';
import { escapeHtml } from './html-escape.js';

const isMeasured = (value: number | null | undefined): value is number => typeof value === 'number' && Number.isFinite(value);
/** An accuracy in percent, or blank when none was measured (no validation set): never `NaN%` or `0.00%`. */
const percentCell = (accuracy: number | null | undefined) => (isMeasured(accuracy) ? `${(100 * accuracy).toFixed(2)}%` : '');
/** A share of the total FLOPs, as the terminal table prints it; blank when unknown. */
const shareCell = (share: number | undefined) => (isMeasured(share) ? `${(100 * share).toFixed(1)}%` : '');
const COLORS = { seed: '#d5dce4', shrunk: '#d9822b', expanded: '#2b6cb0', baseline: '#7b3fa0', grid: '#e3e7ec', axis: '#7a8591' };
const WIDTH_SERIES = ['seed', 'shrunk', 'expanded'] as const;
type WidthSeries = (typeof WIDTH_SERIES)[number];

// ---------------------------------------------------------------- axes

/** Drops floating-point noise (0.30000000000000004 -> 0.3) and negative zero. */
const roundNumber = (value: number) => Number(value.toPrecision(12)) || 0;

/**
 * Axis ticks at round numbers, 1, 2 or 5 times a power of ten apart, from at or below `min` to
 * at or above `max`, about `count` intervals: (0, 14.9e6) -> 0, 5M, 10M, 15M.
 */
export function niceTicks(min: number, max: number, count = 5): number[] {
  const span = max - min || Math.abs(max) || 1;
  const rough = span / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((multiple) => multiple * power).find((candidate) => candidate >= rough * (1 - 1e-9))!;
  const first = Math.floor(roundNumber(min / step)) * step;
  const intervals = Math.max(1, Math.ceil(roundNumber((max - first) / step)));
  return Array.from({ length: intervals + 1 }, (_, i) => roundNumber(first + i * step));
}

/** Maps [domain0, domain1] linearly onto [range0, range1] (pixels). */
export function linearScale([domain0, domain1]: [number, number], [range0, range1]: [number, number]): (value: number) => number {
  const span = domain1 - domain0 || 1;
  return (value) => range0 + ((value - domain0) / span) * (range1 - range0);
}

/** The pixel box a chart plots in. */
interface PlotArea {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** Horizontal grid lines at the y ticks, with their labels left of the plot. */
function yAxis(ticks: number[], y: (value: number) => number, area: PlotArea, label: (tick: number) => string): string {
  return ticks
    .map((tick) => {
      const at = y(tick).toFixed(1);
      return `<line class="grid" x1="${area.left}" y1="${at}" x2="${area.right}" y2="${at}" stroke="${COLORS.grid}"/><text class="tick y-tick" x="${area.left - 5}" y="${at}" dy="0.32em" text-anchor="end">${label(tick)}</text>`;
    })
    .join('');
}

/** Tick marks below the plot at the x ticks, with their labels, and the axis title under them. */
function xAxis(ticks: number[], x: (value: number) => number, area: PlotArea, label: (tick: number) => string, title: string): string {
  const marks = ticks.map((tick) => {
    const at = x(tick).toFixed(1);
    return `<line x1="${at}" y1="${area.bottom}" x2="${at}" y2="${area.bottom + 4}" stroke="${COLORS.axis}"/><text class="tick x-tick" x="${at}" y="${area.bottom + 16}" text-anchor="middle">${label(tick)}</text>`;
  });
  const axisLines = `<line x1="${area.left}" y1="${area.bottom}" x2="${area.right}" y2="${area.bottom}" stroke="${COLORS.axis}"/><line x1="${area.left}" y1="${area.top}" x2="${area.left}" y2="${area.bottom}" stroke="${COLORS.axis}"/>`;
  const axisTitle = `<text class="axis-title" x="${(area.left + area.right) / 2}" y="${area.bottom + 32}" text-anchor="middle">${escapeHtml(title)}</text>`;
  return axisLines + marks.join('') + axisTitle;
}

// ---------------------------------------------------------------- headline

const stageNamed = (report: Report, name: ReportStage['name']) => report.stages.find((stage) => stage.name === name);

/** A failed stage's message; `error` is typed loosely so reports from before and after it was added both render. */
function stageError(stage: ReportStage): string | undefined {
  const error = (stage as { error?: unknown }).error;
  return error === undefined || error === null || error === '' ? undefined : String(error);
}

/** MorphNet against the uniform baseline in measured inference time, when both were timed alike. */
function latencyLine(report: Report): string {
  const timed = latencyComparison(report);
  if (!timed) return '';
  return `<p class="comparison latency-comparison">MorphNet <strong>${formatMs(timed.morphnetMs)}</strong> vs uniform <strong>${formatMs(timed.baselineMs)}</strong> measured inference (batch ${timed.batch}, ${escapeHtml(timed.on)}${escapeHtml(comparedShares(timed))})</p>`;
}

/** The sentence a reader comes for: MorphNet against the uniform baseline at the same budget. */
function comparisonLine(report: Report): string {
  const c = report.comparison;
  if (c) {
    const points = 100 * (c.morphnetAccuracy - c.baselineAccuracy);
    const difference = `${points >= 0 ? '+' : '&minus;'}${Math.abs(points).toFixed(2)} points`;
    return `<p class="comparison">MorphNet <strong>${percentCell(c.morphnetAccuracy)}</strong> vs uniform baseline <strong>${percentCell(c.baselineAccuracy)}</strong> ${c.metric} accuracy: <strong class="${points >= 0 ? 'better' : 'worse'}">${difference}</strong>, at ${formatSi(c.flops.morphnet)} vs ${formatSi(c.flops.baseline)} FLOPs</p>`;
  }
  const retrain = stageNamed(report, 'retrain');
  const accuracy = retrain && (isMeasured(retrain.testAccuracy) ? { value: retrain.testAccuracy, metric: 'test' } : isMeasured(retrain.valAccuracy) ? { value: retrain.valAccuracy, metric: 'validation' } : undefined);
  const baselineHint = `train one with <code>${escapeHtml(stageCommand('baseline', report.runDir))}</code>`;
  if (retrain && accuracy) return `<p class="comparison">MorphNet <strong>${percentCell(accuracy.value)}</strong> ${accuracy.metric} accuracy at ${formatSi(retrain.cost.flops)} FLOPs; no uniform baseline to compare with: ${baselineHint}</p>`;
  return `<p class="comparison">No comparison with the uniform baseline yet: it needs the retrained model (<code>${escapeHtml(stageCommand('retrain', report.runDir))}</code>) and the baseline (${baselineHint}).</p>`;
}

/** seed -> shrunk -> expanded of one resource, over the stages that have run. */
function resourceChain(report: Report, label: string, valueIn: (stage: ReportStage) => number | undefined, format: (value: number) => string): string {
  const stageWords = { seed: 'seed', shrink: 'shrunk', expand: 'expanded' } as const;
  const steps = (['seed', 'shrink', 'expand'] as const).flatMap((name) => {
    const stage = stageNamed(report, name);
    const value = stage ? valueIn(stage) : undefined;
    return isMeasured(value) ? [`<strong>${format(value)}</strong> ${stageWords[name]}`] : [];
  });
  return steps.length ? `<li><span class="resource">${label}</span> ${steps.join(' &rarr; ')}</li>` : '';
}

/** The expand multiplier and what each stage costs. */
function resourceSummary(report: Report): string {
  const multiplier = stageNamed(report, 'expand')?.multiplier;
  const items = [
    isMeasured(multiplier) ? `<li><span class="resource">expand multiplier</span> <strong>&times;${multiplier.toFixed(3)}</strong></li>` : '',
    resourceChain(report, 'FLOPs', (stage) => stage.cost.flops, formatSi),
    resourceChain(report, 'params', (stage) => stage.cost.params, formatSi),
    resourceChain(report, 'latency', (stage) => stage.cost.latency, formatMs),
  ].filter(Boolean);
  return items.length ? `<ul class="resources">${items.join('')}</ul>` : '';
}

/**
 * A stage that did not finish (failed, interrupted, running): what happened, and for a trained
 * stage the command that resumes it from its last checkpoint, as the terminal report says it.
 */
function unfinishedStage(report: Report, stage: ReportStage): string {
  const error = stageError(stage);
  const resume = stage.name === 'retrain' || stage.name === 'baseline' ? `<br>resume from its last checkpoint: <code>${escapeHtml(stageCommand(stage.name, report.runDir))}</code>` : '';
  return `<li class="${stage.status === 'failed' ? 'failure' : 'unfinished'}"><strong>${escapeHtml(stage.name)} ${escapeHtml(stage.status)}</strong>${error ? `: <span class="error">${escapeHtml(error)}</span>` : ''}${resume}</li>`;
}

/** Stages that did not finish, each with its error, and the warnings about the inputs. */
function problems(report: Report): string {
  const unfinished = report.stages.filter((stage) => stage.status !== 'complete' || stageError(stage) !== undefined).map((stage) => unfinishedStage(report, stage));
  const warnings = (report.warnings ?? []).map((warning) => `<li class="warning">warning: ${escapeHtml(warning)}</li>`);
  return unfinished.length + warnings.length ? `<ul class="problems">${unfinished.join('')}${warnings.join('')}</ul>` : '';
}

/** The top of the page: what was run, the comparison, the multiplier and costs, and anything that went wrong. */
function headline(report: Report): string {
  const context = [`run ${escapeHtml(report.runDir)}`, report.backend ? `backend ${escapeHtml(report.backend)}` : '', report.hardware ? `hardware ${escapeHtml(report.hardware)}` : ''].filter(Boolean);
  return `<header id="headline"><h1>morphnet report: ${escapeHtml(report.model)}</h1><p class="context">${context.join(' &middot; ')}</p>
${comparisonLine(report)}${latencyLine(report)}${resourceSummary(report)}${problems(report)}</header>`;
}

// ---------------------------------------------------------------- stages

/** A latency cell: the ms (and share of the seed's), and where the figure comes from as its tooltip; blank for a stage without one. */
function latencyCell(column: LatencyColumn, stage: ReportStage): string {
  return isMeasured(column.msOf(stage)) ? `<td class="latency" title="${escapeHtml(column.sourceOf(stage) ?? '')}">${escapeHtml(latencyCellText(column, stage))}</td>` : '<td></td>';
}

function stageTable(report: Report): string {
  const multiplierCell = (multiplier: number | undefined) => (isMeasured(multiplier) ? multiplier.toFixed(3) : '');
  const latency = latencyColumns(report);
  const rows = report.stages.map(
    (s) =>
      `<tr><td>${escapeHtml(s.name)}</td><td class="status-${escapeHtml(s.status.replace(/\W+/g, '-'))}">${escapeHtml(s.status)}</td><td>${formatSi(s.cost.flops)}</td><td>${formatSi(s.cost.params)}</td><td>${percentCell(s.valAccuracy)}</td><td>${percentCell(s.testAccuracy)}</td><td>${multiplierCell(s.multiplier)}</td>${latency.map((c) => latencyCell(c, s)).join('')}</tr>`,
  );
  const latencyHeads = latency.map((c) => `<th>${escapeHtml(c.label)}</th>`).join('');
  return `<table id="stages"><thead><tr><th>stage</th><th>status</th><th>FLOPs</th><th>params</th><th>val acc</th><th>test acc</th><th>multiplier</th>${latencyHeads}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

// ---------------------------------------------------------------- charts

/** A line chart of one series over shrink steps, from zero up, with round ticks on both axes. */
function lineChart(id: string, title: string, recorded: Array<[number, number]>, color: string): string {
  const points = recorded.filter(([step, value]) => Number.isFinite(step) && Number.isFinite(value));
  if (points.length === 0) return `<p>no ${escapeHtml(title)} recorded</p>`;
  const [width, height] = [380, 230];
  const area: PlotArea = { left: 52, right: width - 16, top: 28, bottom: height - 42 };
  const steps = points.map((p) => p[0]);
  const values = points.map((p) => p[1]);
  const xTicks = niceTicks(Math.min(...steps), Math.max(...steps), 5);
  const yTicks = niceTicks(Math.min(0, ...values), Math.max(0, ...values), 4);
  const x = linearScale([xTicks[0], xTicks.at(-1)!], [area.left, area.right]);
  const y = linearScale([yTicks[0], yTicks.at(-1)!], [area.bottom, area.top]);
  const path = points.map(([step, value], i) => `${i ? 'L' : 'M'}${x(step).toFixed(1)},${y(value).toFixed(1)}`).join('');
  return `<svg id="${id}" class="chart" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(title)} over shrink steps">
<text class="chart-title" x="${area.left}" y="16">${escapeHtml(title)}</text>
${yAxis(yTicks, y, area, formatSi)}${xAxis(xTicks, x, area, formatSi, 'shrink step')}
<path d="${path}" fill="none" stroke="${color}" stroke-width="1.75"/></svg>`;
}

/**
 * Label heights that keep labels at least `gap` pixels apart, each as near its point as it can:
 * two stages at nearly the same FLOPs and accuracy must not print over each other.
 */
export function separateLabels(heights: number[], gap: number): number[] {
  const order = heights.map((height, index) => ({ height, index })).sort((a, b) => a.height - b.height);
  const placed = new Array<number>(heights.length);
  let previous = -Infinity;
  for (const { height, index } of order) {
    previous = Math.max(height, previous + gap);
    placed[index] = previous;
  }
  return placed;
}

type AccuracyPoint = { name: ReportStage['name']; flops: number; accuracy: number; metric: 'test' | 'validation' };

function accuracyPoints(report: Report): AccuracyPoint[] {
  return report.stages.flatMap((s): AccuracyPoint[] => {
    if (isMeasured(s.testAccuracy)) return [{ name: s.name, flops: s.cost.flops, accuracy: s.testAccuracy, metric: 'test' }];
    if (isMeasured(s.valAccuracy)) return [{ name: s.name, flops: s.cost.flops, accuracy: s.valAccuracy, metric: 'validation' }];
    return [];
  });
}

/** Accuracy against FLOPs for every stage that has both; FLOPs from zero, accuracy zoomed to the points. */
function accuracyChart(report: Report): string {
  const points = accuracyPoints(report);
  if (points.length === 0) return '<p>no accuracy recorded yet</p>';
  const [width, height] = [560, 250];
  const area: PlotArea = { left: 58, right: width - 150, top: 16, bottom: height - 42 };
  const percents = points.map((p) => 100 * p.accuracy);
  const xTicks = niceTicks(0, Math.max(...points.map((p) => p.flops)), 5);
  const yTicks = niceTicks(Math.min(...percents) - 0.5, Math.max(...percents) + 0.5, 4);
  const x = linearScale([xTicks[0], xTicks.at(-1)!], [area.left, area.right]);
  const y = linearScale([yTicks[0], yTicks.at(-1)!], [area.bottom, area.top]);
  const color = (name: string) => (name === 'baseline' ? COLORS.baseline : name === 'shrink' ? COLORS.shrunk : COLORS.expanded);
  const labelHeights = separateLabels(points.map((p) => y(100 * p.accuracy)), 14);
  const dots = points.map((p, i) => {
    const [cx, cy] = [x(p.flops), y(100 * p.accuracy)];
    const text = `${p.name} ${(100 * p.accuracy).toFixed(1)}%${p.metric === 'validation' ? ' (val)' : ''}`;
    return `<circle cx="${cx.toFixed(1)}" cy="${cy.toFixed(1)}" r="5" fill="${color(p.name)}"><title>${p.name}: ${(100 * p.accuracy).toFixed(2)}% ${p.metric} accuracy at ${formatSi(p.flops)} FLOPs</title></circle><text class="point-label" x="${(cx + 9).toFixed(1)}" y="${labelHeights[i].toFixed(1)}" dy="0.32em">${text}</text>`;
  });
  return `<svg id="accuracy" class="chart" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="accuracy against FLOPs">
${yAxis(yTicks, y, area, (tick) => `${tick}%`)}${xAxis(xTicks, x, area, formatSi, 'FLOPs')}
<text class="axis-title" x="12" y="${(area.top + area.bottom) / 2}" text-anchor="middle" transform="rotate(-90 12 ${(area.top + area.bottom) / 2})">accuracy (test, else validation)</text>
${dots.join('')}</svg>`;
}

// ---------------------------------------------------------------- channels per layer

/**
 * Widths are drawn relative to each layer's seed width, one row per layer: channel counts span
 * three orders of magnitude (3 to 1280 in MobileNetV2), so on one absolute scale the small
 * layers are slivers, while relative bars show at a glance what MorphNet kept of every layer.
 * The absolute widths stand in the same row, in the table's number columns.
 */
const BARS = { width: 360, height: 18, left: 14, right: 340, minimumLength: 2 };

const widthSeries = (report: Report): WidthSeries[] => WIDTH_SERIES.filter((key) => report.layers.some((layer) => layer[key] !== undefined));
const relativeWidth = (layer: ReportLayer, key: WidthSeries) => (layer.seed > 0 ? (layer[key] ?? 0) / layer.seed : 0);

/** The percent axis shared by every row: 0% to at least 100% (the seed), further when a layer grew. */
function relativeAxis(report: Report, series: WidthSeries[]): { ticks: number[]; x: (percent: number) => number } {
  const largest = Math.max(1, ...report.layers.flatMap((layer) => series.map((key) => relativeWidth(layer, key))));
  const ticks = niceTicks(0, 100 * largest, 5);
  return { ticks, x: linearScale([0, ticks.at(-1)!], [BARS.left, BARS.right]) };
}

/** A bar's length in pixels: a width above zero is never thinner than `minimumLength`. */
const barLength = (pixels: number, value: number) => (value > 0 ? Math.max(BARS.minimumLength, pixels) : 0);

/** One layer's bars: the seed as the full band, shrunk above expanded inside it. */
function layerBars(layer: ReportLayer, series: WidthSeries[], axis: ReturnType<typeof relativeAxis>): string {
  const band = { seed: [2, 14], shrunk: [4, 5], expanded: [10, 5] } as const;
  const grid = axis.ticks
    .map((tick) => `<line x1="${axis.x(tick).toFixed(1)}" y1="0" x2="${axis.x(tick).toFixed(1)}" y2="${BARS.height}" stroke="${tick === 100 ? COLORS.axis : COLORS.grid}"/>`)
    .join('');
  const bar = (key: WidthSeries) => {
    const value = layer[key] ?? 0;
    const length = barLength(axis.x(100 * relativeWidth(layer, key)) - axis.x(0), value);
    const [top, thickness] = band[key];
    return `<rect class="bar-${key}" data-channels="${value}" x="${BARS.left}" y="${top}" width="${length.toFixed(1)}" height="${thickness}" fill="${COLORS[key]}"/>`;
  };
  const learned = series.filter((key) => key !== 'seed').map(bar);
  const tooltip = series.map((key) => `${key} ${layer[key] ?? 0} (${Math.round(100 * relativeWidth(layer, key))}%)`).join(', ');
  return `<svg class="bars" xmlns="http://www.w3.org/2000/svg" width="${BARS.width}" height="${BARS.height}"><title>${escapeHtml(layer.name)}: ${tooltip}</title>${bar('seed')}${grid}${learned.join('')}</svg>`;
}

/** The axis over the bars column: percent of the seed width at round ticks, and the legend. */
function relativeAxisHeader(series: WidthSeries[], axis: ReturnType<typeof relativeAxis>): string {
  const legend = series.map((key) => `<span class="key"><span class="swatch" style="background:${COLORS[key]}"></span>${key}</span>`).join('');
  const ticks = axis.ticks
    .map((tick) => `<line x1="${axis.x(tick).toFixed(1)}" y1="14" x2="${axis.x(tick).toFixed(1)}" y2="20" stroke="${COLORS.axis}"/><text class="tick x-tick" x="${axis.x(tick).toFixed(1)}" y="11" text-anchor="middle">${tick}%</text>`)
    .join('');
  return `<div class="legend">width relative to the seed: ${legend}</div><svg class="axis" xmlns="http://www.w3.org/2000/svg" width="${BARS.width}" height="20">${ticks}<line x1="${BARS.left}" y1="20" x2="${BARS.right}" y2="20" stroke="${COLORS.axis}"/></svg>`;
}

/**
 * Per layer: name, class, seed / shrunk / expanded widths, FLOPs share seed / expanded (the
 * terminal table), and the widths as bars in the same row, so nothing is matched across the page.
 */
function layerTable(report: Report): string {
  const series = widthSeries(report);
  const axis = relativeAxis(report, series);
  const rows = report.layers.map(
    (layer) =>
      `<tr><td class="layer"><span class="name" title="${escapeHtml(layer.name)}">${escapeHtml(layer.name)}</span></td><td class="class">${escapeHtml(layer.className)}</td><td>${layer.seed}</td><td>${layer.shrunk ?? ''}</td><td>${layer.expanded ?? ''}</td><td>${shareCell(layer.seedFlopsShare)}</td><td>${shareCell(layer.expandedFlopsShare)}</td><td class="bars-cell">${layerBars(layer, series, axis)}</td></tr>`,
  );
  const head = `<tr><th>layer</th><th>class</th><th>seed</th><th>shrunk</th><th>expanded</th><th>FLOPs seed</th><th>FLOPs expanded</th><th class="bars-cell">${relativeAxisHeader(series, axis)}</th></tr>`;
  return `<table id="widths" class="layers"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table>`;
}

// ---------------------------------------------------------------- page

const STYLE = `body{font-family:system-ui,sans-serif;margin:24px;color:#222;font-size:14px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
#headline{border:1px solid #d5dce4;border-radius:6px;padding:14px 18px;background:#f7f9fb;overflow-wrap:anywhere}
.context{color:#555;margin:0 0 10px}.comparison{font-size:18px;margin:6px 0}.better{color:#22743a}.worse{color:#b42318}
.resources,.problems{list-style:none;padding:0;margin:8px 0 0}.resources li{margin:3px 0}.resource{display:inline-block;min-width:9em;color:#555}
.problems li{margin:4px 0;padding:4px 8px;border-radius:4px}.failure{background:#fde8e6;color:#8a1c12}.unfinished,.warning{background:#fff4d6;color:#6b4b00}.error{white-space:pre-wrap}
table{border-collapse:collapse}td,th{border:1px solid #d5dce4;padding:2px 8px;text-align:right;white-space:nowrap}td:first-child,th:first-child{text-align:left}
th{background:#f2f5f8;font-weight:600}#stages td:nth-child(2),#stages th:nth-child(2){text-align:left}.status-failed{color:#b42318;font-weight:600}
.layers td{padding:0 8px;font-size:13px;line-height:18px}.layers td.class{text-align:left;color:#555}.layers th:nth-child(2){text-align:left}
.layers .name{display:inline-block;max-width:22em;overflow:hidden;text-overflow:ellipsis;vertical-align:bottom}
.layers thead th{position:sticky;top:0;z-index:1;vertical-align:bottom}.layers .bars-cell{padding:0 4px;text-align:left}.layers svg{display:block}
.legend{font-weight:normal;font-size:12px;color:#555}.key{margin-left:10px}.swatch{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:-1px}
.layers tbody tr:nth-child(even){background:#fafbfc}
.charts{display:flex;flex-wrap:wrap;gap:16px 40px}
svg text{font-size:11px;fill:#333}svg .chart-title{font-size:13px;font-weight:600}svg .axis-title{font-size:11px;fill:#555}`;

/** One self-contained HTML page: headline, tables and inline SVG charts, no scripts, no network. */
export function renderHtmlReport(report: Report): string {
  const curve = report.shrinkCurve;
  const shrinkCharts = [
    lineChart('loss', 'loss', curve.map((p) => [p.step, p.loss]), '#c53030'),
    lineChart('cost', 'cost of the target resource', curve.map((p) => [p.step, p.cost]), COLORS.expanded),
    lineChart('alive', 'alive channels', curve.map((p) => [p.step, p.alive]), COLORS.shrunk),
  ];
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>morphnet report: ${escapeHtml(report.model)}</title>
<style>${STYLE}</style></head><body>
${headline(report)}
<div class="charts"><section><h2>Stages</h2>${stageTable(report)}</section><section><h2>Accuracy against FLOPs</h2>${accuracyChart(report)}</section></div>
<h2>Shrink</h2><div class="charts">${shrinkCharts.join('')}</div>
<h2>Channels per layer</h2>${layerTable(report)}
</body></html>
`;
}

export function writeHtmlReport(report: Report): string {
  const path = runDirLayout(report.runDir).reportHtml;
  writeFileAtomic(path, renderHtmlReport(report));
  return path;
}

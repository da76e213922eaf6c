import Table from 'cli-table3';
import type { CostReport } from '../cost/count-model.js';
import { formatSi } from '../config/si-number.js';

const percent = (part: number, whole: number) => (whole > 0 ? `${((100 * part) / whole).toFixed(1)}%` : '-');

/** The `morphnet cost` table: one row per layer, totals, groups and barriers. */
export function renderCostTable(report: CostReport): string {
  const withLatency = report.hardware !== undefined;
  const table = new Table({
    head: ['layer', 'class', 'output shape', 'MACs', 'params', 'MACs share', ...(withLatency ? ['latency ms'] : [])],
    colAligns: ['left', 'left', 'left', 'right', 'right', 'right', ...(withLatency ? (['right'] as const) : [])],
    style: { head: [], border: [], compact: true },
  });
  for (const layer of report.layers) {
    table.push([
      layer.name,
      layer.className,
      `[${layer.outputShape.slice(1).join(', ')}]`,
      layer.macs ? layer.macs.toLocaleString('en-US') : '',
      layer.totalParams ? layer.totalParams.toLocaleString('en-US') : '',
      layer.macs ? percent(layer.macs, report.totals.macs) : '',
      ...(withLatency ? [layer.latency ? layer.latency.toPrecision(3) : ''] : []),
    ]);
  }
  const t = report.totals;
  const lines = [
    table.toString(),
    `total: ${t.macs.toLocaleString('en-US')} MACs (${formatSi(t.flops)} FLOPs), ${t.params.toLocaleString('en-US')} trainable params (${t.totalParams.toLocaleString('en-US')} in all), ${t.activations.toLocaleString('en-US')} activations`,
  ];
  if (report.hardware) {
    const overhead = report.hardware.overheadMs !== undefined ? `, of which ${report.hardware.overheadMs.toPrecision(3)} ms outside the layers` : '';
    lines.push(`latency on ${report.hardware.name} at batch ${report.hardware.batchSize}: ${t.latency!.toPrecision(4)} ms${overhead} (${report.hardware.latencyModel})`);
  }
  const prunable = report.groups.filter((g) => !g.fixed);
  lines.push(`${report.groups.length} channel groups, ${prunable.length} prunable:`);
  for (const group of prunable) lines.push(`  group ${group.id} (${group.width} channels): ${group.layers.join(', ')}`);
  if (report.barriers.length === 0) lines.push('no barriers');
  else {
    lines.push(`${report.barriers.length} barrier${report.barriers.length === 1 ? '' : 's'} (kept at full width):`);
    for (const b of report.barriers) lines.push(`  ${b.name} (${b.className}): ${b.reason}`);
  }
  return lines.join('\n');
}

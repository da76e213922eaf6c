import Table from 'cli-table3';
import type { BackendRequest } from '../../backend/select.js';
import { measuredOn, type LatencyTable } from '../../cost/latency-table.js';
import { latencyStage } from '../../stages/latency.js';
import { positiveIntegerFlag } from '../integer-flag.js';
import { createOutput } from '../output.js';

export interface LatencyFlags {
  model: string;
  backend?: BackendRequest;
  threads?: string;
  batch: string;
  output?: string;
  widths: string;
  repeats: string;
  warmup: string;
  json?: boolean;
}

const ms = (value: number) => value.toPrecision(3);

const percent = (share: number) => `${(100 * share).toFixed(1)}%`;

/** What the calibration on a second whole model measured, and what it did to the layers' times. */
function calibrationLines({ calibration: c }: LatencyTable): string[] {
  if (!c) return [];
  const measured = `calibrated on ${c.structure}: it ran at ${percent(c.measuredShare)} of the seed's time (${c.pairs} pairs), the layers timed alone said ${percent(c.uncalibratedShare)}`;
  return [c.applied ? `${measured}; every layer's time scaled by ${c.layerScale.toFixed(3)}` : `${measured}; the factor that fits both was out of range, so the table is as measured`];
}

/** The layers that take the most time at the seed's widths, with their grids' sizes, and the totals. */
export function renderLatencyTable(table: LatencyTable, path: string, top = 12): string {
  const seedTime = (layer: LatencyTable['layers'][number]) => {
    const i = layer.inputWidths.indexOf(Number(layer.inputShapes[0].at(-1)));
    const o = layer.outputWidths.indexOf(Number(layer.outputShape.at(-1)));
    return { median: layer.medianMs[Math.max(i, 0)][Math.max(o, 0)], iqr: layer.iqrMs[Math.max(i, 0)][Math.max(o, 0)] };
  };
  const rows = table.layers.map((layer) => ({ layer, ...seedTime(layer) })).sort((a, b) => b.median - a.median);
  const grid = new Table({ head: ['layer', 'class', 'ms (median)', 'IQR', 'in widths', 'out widths'], colAligns: ['left', 'left', 'right', 'right', 'left', 'left'], style: { head: [], border: [], compact: true } });
  for (const { layer, median, iqr } of rows.slice(0, top)) grid.push([layer.name, layer.className, ms(median), ms(iqr), layer.inputWidths.join(' '), layer.outputWidths.join(' ')]);
  return [
    `latency table of ${table.model} on ${measuredOn(table)} (tfjs ${table.tfjsVersion}): ${path}`,
    `whole model ${ms(table.whole.medianMs)} ms (IQR ${ms(table.whole.iqrMs)}); ${table.layers.length} layers sum to ${ms(table.layersMs)} ms; overhead ${ms(table.overheadMs)} ms`,
    ...calibrationLines(table),
    `the ${Math.min(top, rows.length)} slowest layers at the seed's widths:`,
    grid.toString(),
    `use it: hardware: {NAME: {table: ${path}}} in a config, or morphnet cost -m ${table.model} --hardware ${path}`,
  ].join('\n');
}

export async function latencyCommand(flags: LatencyFlags): Promise<void> {
  const output = createOutput({ json: flags.json });
  const spinner = output.spinner('timing the whole model');
  const { path, table } = await latencyStage(
    {
      model: flags.model,
      backend: flags.backend,
      threads: flags.threads !== undefined ? positiveIntegerFlag('--threads', flags.threads, '2') : undefined,
      batch: positiveIntegerFlag('--batch', flags.batch, '2'),
      output: flags.output,
      widthSamples: positiveIntegerFlag('--widths', flags.widths, '2'),
      protocol: { repeats: positiveIntegerFlag('--repeats', flags.repeats, '2'), warmup: positiveIntegerFlag('--warmup', flags.warmup, '2') },
    },
    {
      backend: (choice) => output.backend(choice),
      layer: (index, total, name) => {
        // After the last layer the table is calibrated on a second whole model (calibrateTable): seconds on a large model.
        if (spinner) spinner.text = index < total ? `timing layer ${index + 1}/${total}: ${name}` : 'timed every layer; calibrating on the model with every prunable group at 50%';
      },
    },
  ).finally(() => spinner?.stop());
  output.result(renderLatencyTable(table, path), { path, ...table });
}

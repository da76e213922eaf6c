import Table from 'cli-table3';
import { formatSi } from '../../config/si-number.js';
import { formatAmount, shrinkLabel, strengthLabel, sweepTargetText } from '../../sweep/budgets.js';
import type { ShrinkRun } from '../../sweep/plan.js';
import type { SweepSummary } from '../../sweep/sweep-file.js';
import { sweepStage } from '../../stages/sweep.js';
import { createOutput, microBatchNotice } from '../output.js';
import { applyThreadsFlag } from '../threads-flag.js';
import { ProgressBar } from '../progress.js';
import { toolVersion } from '../version.js';

export interface SweepFlags {
  runDir?: string;
  threads?: string;
  json?: boolean;
}

const TABLE_STYLE = { head: [], border: [], compact: true };
const percent = (x: number, digits = 2) => `${(100 * x).toFixed(digits)}%`;
const points = (x: number) => `${x >= 0 ? '+' : '-'}${Math.abs(100 * x).toFixed(2)}`;

/** Per arm and budget: cost, seeds, mean and std of accuracy, relative to the seed network. */
function armTable(summary: SweepSummary): string {
  const latency = summary.statistics.arms.every((g) => g.cost.latency !== undefined);
  const table = new Table({
    head: ['arm', 'budget', 'strength', 'FLOPs', 'params', ...(latency ? ['latency ms'] : []), 'seeds', `${summary.metric} acc`, 'std', 'vs seed'],
    colAligns: ['left', 'left', 'right', 'right', 'right', ...(latency ? (['right'] as const) : []), 'right', 'right', 'right', 'right'],
    style: TABLE_STYLE,
  });
  for (const g of summary.statistics.arms) {
    table.push([
      g.arm,
      g.budget,
      g.strength !== undefined ? shrinkLabel(g.strength, g.goal) : '',
      formatSi(g.cost.flops),
      formatSi(g.cost.params),
      ...(latency ? [Number(g.cost.latency!.toPrecision(3))] : []),
      g.accuracy.n,
      percent(g.accuracy.mean),
      g.accuracy.std !== undefined ? percent(g.accuracy.std) : '',
      g.relativeToSeed !== undefined ? percent(g.relativeToSeed, 1) : '',
    ]);
  }
  return table.toString();
}

/** MorphNet minus uniform per budget, paired by seed, with the 95% interval. */
function differenceTable(summary: SweepSummary): string | undefined {
  if (summary.statistics.differences.length === 0) return undefined;
  const table = new Table({ head: ['budget', 'strength', 'pairs', 'MorphNet - uniform', '95% interval'], colAligns: ['left', 'right', 'right', 'right', 'right'], style: TABLE_STYLE });
  for (const d of summary.statistics.differences) {
    const interval = d.difference.low !== undefined ? `[${points(d.difference.low)}, ${points(d.difference.high!)}]` : 'one seed: none';
    table.push([d.budget, d.strength !== undefined ? shrinkLabel(d.strength, d.goal) : '', d.difference.n, `${points(d.difference.mean)} points`, interval]);
  }
  return table.toString();
}

/** `3 strengths (1e-7, 3e-7, 9e-7)`, or `2 shrinks seeking their budgets (shrink-goal-25pct, shrink-goal-50pct)`. */
function describeShrinks(shrinks: ShrinkRun[]): string {
  if (shrinks.some((s) => s.goal)) return `${shrinks.length} shrink${shrinks.length === 1 ? '' : 's'} seeking ${shrinks.length === 1 ? 'its budget' : 'their budgets'} (${shrinks.map((s) => s.name).join(', ')})`;
  return `${shrinks.length} strengths (${shrinks.map((s) => strengthLabel(s.strength!)).join(', ')})`;
}

export function renderSweepTable(summary: SweepSummary, html: string): string {
  const seed = summary.statistics.seed;
  return [
    `sweep ${summary.sweepDir} (${summary.model}, ${sweepTargetText(summary)}${summary.backend ? `, backend ${summary.backend}` : ''})`,
    ...(summary.metricNote ? [`note: ${summary.metricNote}`] : []),
    armTable(summary),
    ...(seed ? [`vs seed: mean accuracy / the seed network's ${percent(seed.mean)} (${summary.metric}, ${seed.n} seed${seed.n === 1 ? '' : 's'}); std: sample std over seeds`] : []),
    ...[differenceTable(summary)].filter((t): t is string => t !== undefined),
    ...(summary.statistics.differences.length ? ['interval: 95% Student t over the differences paired by seed (df = pairs - 1)'] : []),
    `html: ${html}`,
  ].join('\n');
}

export async function sweepCommand(configPath: string, flags: SweepFlags): Promise<void> {
  applyThreadsFlag(flags.threads);
  const output = createOutput({ json: flags.json });
  let bar: ProgressBar | undefined;
  const startBar = (what: string, total: number, resumedAt: number) => {
    output.notice(`  ${what}: ${total} steps${resumedAt ? `, resuming at step ${resumedAt}` : ''}`);
    bar?.done();
    bar = output.interactive ? new ProgressBar(total, resumedAt) : undefined;
  };
  const backend = { backend: output.backend };
  const result = await sweepStage(
    { configPath, sweepDir: flags.runDir, toolVersion: toolVersion() },
    {
      backend: (choice) => output.backend(choice),
      plan: (p) => {
        output.notice(`sweep -> ${p.sweepDir}: ${describeShrinks(p.shrinks)}, budgets ${p.budgets.map((b) => `${b.label} = ${formatAmount(p.target, b.amount)}`).join(', ')}`);
        if (p.metricNote) output.notice(`note: ${p.metricNote}`);
      },
      subRun: (e) => {
        bar?.done();
        bar = undefined;
        if (e.state !== 'start') output.notice(`${e.kind === 'shrink' ? 'shrink' : 'run'} ${e.index}/${e.total} ${e.name}: ${e.state === 'skipped' ? 'skipped (finished)' : 'done'}`);
      },
      shrink: {
        ...backend,
        start: (info) => {
          startBar('shrink', info.totalSteps, info.resumedAt);
          microBatchNotice(output, info.microBatches);
        },
        step: (p) => bar?.update(p.step, `loss ${p.loss.toFixed(3)}  cost ${((100 * p.cost) / p.initialCost).toFixed(0)}%  alive ${p.aliveChannels}/${p.totalChannels}`),
        hint: (message) => output.notice(`hint: ${message}`),
      },
      expand: { ...backend, warning: (message) => output.warn(message) },
      retrain: {
        ...backend,
        start: (info) => {
          startBar(info.stage, info.totalSteps, info.resumedAt);
          microBatchNotice(output, info.microBatches);
        },
        step: (p) => bar?.update(p.step, `loss ${p.loss.toFixed(3)}`),
      },
    },
  );
  bar?.done();
  output.result(renderSweepTable(result.summary, result.html), result.summary);
}

import Table from 'cli-table3';
import { formatSi } from '../config/si-number.js';
import { stageCommand } from '../run-dir/stage-commands.js';
import { comparedShares, formatMs, latencyCellText, latencyColumns, latencyComparison, type Report, type ReportStage } from '../stages/report.js';

const percent = (x: number | undefined) => (x === undefined ? '' : `${(100 * x).toFixed(1)}%`);
/** An accuracy, or blank when none was measured (a stage without a validation set): never `NaN%` or `0.00%`. */
const accuracy = (x: number | null | undefined) => (typeof x === 'number' && Number.isFinite(x) ? `${(100 * x).toFixed(2)}%` : '');

/** The report as tables: per layer widths and FLOPs share; per stage cost and accuracy. */
export function renderReportTable(report: Report): string {
  const layers = new Table({
    head: ['layer', 'class', 'seed', 'shrunk', 'expanded', 'FLOPs seed', 'FLOPs expanded'],
    colAligns: ['left', 'left', 'right', 'right', 'right', 'right', 'right'],
    style: { head: [], border: [], compact: true },
  });
  for (const l of report.layers) layers.push([l.name, l.className, l.seed, l.shrunk ?? '', l.expanded ?? '', percent(l.seedFlopsShare), percent(l.expandedFlopsShare)]);
  const latency = latencyColumns(report);
  const stages = new Table({
    head: ['stage', 'status', 'FLOPs', 'params', 'val acc', 'test acc', 'multiplier', ...latency.map((c) => c.label)],
    colAligns: ['left', 'left', 'right', 'right', 'right', 'right', 'right', ...latency.map(() => 'right' as const)],
    style: { head: [], border: [], compact: true },
  });
  for (const s of report.stages) {
    const multiplier = s.multiplier !== undefined && Number.isFinite(s.multiplier) ? s.multiplier.toFixed(3) : '';
    stages.push([s.name, s.status, formatSi(s.cost.flops), formatSi(s.cost.params), accuracy(s.valAccuracy), accuracy(s.testAccuracy), multiplier, ...latency.map((c) => latencyCellText(c, s))]);
  }
  const lines = [`run ${report.runDir} (${report.model}${report.backend ? `, backend ${report.backend}` : ''})`, layers.toString(), stages.toString(), ...report.stages.flatMap((s) => unfinishedLines(report.runDir, s))];
  const goal = report.stages.find((s) => s.goal)?.goal;
  if (goal) lines.push(`shrink steered lambda toward goal ${goal.text}; final lambda ${goal.finalLambda.toPrecision(3)}`);
  const c = report.comparison;
  if (c) {
    const delta = 100 * (c.morphnetAccuracy - c.baselineAccuracy);
    lines.push(`MorphNet ${accuracy(c.morphnetAccuracy)} vs uniform baseline ${accuracy(c.baselineAccuracy)} (${c.metric} accuracy, ${delta >= 0 ? '+' : ''}${delta.toFixed(2)} points) at ${formatSi(c.flops.morphnet)} vs ${formatSi(c.flops.baseline)} FLOPs`);
  }
  const timed = latencyComparison(report);
  if (timed) lines.push(`MorphNet ${formatMs(timed.morphnetMs)} vs uniform ${formatMs(timed.baselineMs)} (measured inference, batch ${timed.batch}, ${timed.on}${comparedShares(timed)})`);
  return lines.join('\n');
}

/**
 * Under the stages table, for a stage that did not finish: what happened, as run.json records
 * it, and the command that resumes it.
 *   retrain failed: the loss became NaN at step 40 (...)
 *     resume from its last checkpoint: morphnet retrain -r runs/a
 */
function unfinishedLines(runDir: string, stage: ReportStage): string[] {
  if (stage.status === 'complete' || (stage.name !== 'retrain' && stage.name !== 'baseline')) return [];
  const what = stage.error ?? (stage.status === 'running' ? 'no result yet (still running, or the process was killed)' : 'no message recorded');
  return [`${stage.name} ${stage.status}: ${what}`, `  resume from its last checkpoint: ${stageCommand(stage.name, runDir)}`];
}

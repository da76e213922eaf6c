import { runPipeline } from '../../stages/run.js';
import { createOutput, measuringSpinner, microBatchNotice, validationText } from '../output.js';
import { applyThreadsFlag } from '../threads-flag.js';
import { ProgressBar } from '../progress.js';
import { renderReportTable } from '../render-report.js';
import { renderScoreHistogram } from '../render-scores.js';
import { toolVersion } from '../version.js';

export interface RunFlags {
  runDir?: string;
  threads?: string;
  json?: boolean;
}

export async function runCommand(configPath: string, flags: RunFlags): Promise<void> {
  applyThreadsFlag(flags.threads);
  const output = createOutput({ json: flags.json });
  let bar: ProgressBar | undefined;
  const startBar = (total: number, resumedAt: number) => {
    if (output.interactive) bar = new ProgressBar(total, resumedAt);
  };
  const epochLine = (line: string) => {
    bar?.done();
    output.notice(line);
  };
  const backend = { backend: output.backend };
  const expandTiming = measuringSpinner(output, 'the expanded structure');
  const baselineTiming = measuringSpinner(output, 'the uniform baseline');
  const result = await runPipeline(
    { configPath, runDir: flags.runDir, toolVersion: toolVersion() },
    {
      stage: (name, state, detail) => {
        expandTiming.stop();
        baselineTiming.stop();
        bar?.done();
        bar = undefined;
        if (state !== 'start') output.notice(`${name}: ${state}${detail ? ` (${detail})` : ''}`);
      },
      shrink: {
        ...backend,
        start: (info) => {
          output.notice(`shrink: ${info.totalSteps} steps${info.resumedAt ? `, resuming at step ${info.resumedAt}` : ''} -> ${info.runDir}`);
          microBatchNotice(output, info.microBatches);
          startBar(info.totalSteps, info.resumedAt);
        },
        step: (p) => bar?.update(p.step, `loss ${p.loss.toFixed(3)}  cost ${((100 * p.cost) / p.initialCost).toFixed(0)}%  alive ${p.aliveChannels}/${p.totalChannels}`),
        epoch: (p) => epochLine(`shrink epoch ${p.epoch}: step ${p.step}/${p.totalSteps}  cost ${((100 * p.cost) / p.initialCost).toFixed(0)}%  alive ${p.aliveChannels}/${p.totalChannels}  ${validationText(p.valAccuracy)}`),
        hint: (message) => epochLine(`hint: ${message}`),
      },
      // The histogram shrink prints at its end, to choose shrink.threshold from (README "Choosing lambda and the threshold").
      shrinkFinished: (shrink) => output.notice(renderScoreHistogram(shrink.scoreHistogram, shrink.threshold).join('\n')),
      expand: {
        ...backend,
        warning: (message) => output.warn(message),
        removed: (paths) => output.removed('expand', paths),
        measuring: expandTiming.measuring,
      },
      retrain: {
        ...backend,
        measuringBaseline: baselineTiming.measuring,
        start: (info) => {
          baselineTiming.stop();
          output.notice(`${info.stage}: ${info.totalSteps} steps${info.resumedAt ? `, resuming at step ${info.resumedAt}` : ''}`);
          microBatchNotice(output, info.microBatches);
          startBar(info.totalSteps, info.resumedAt);
        },
        step: (p) => bar?.update(p.step, `loss ${p.loss.toFixed(3)}`),
        epoch: (p) => epochLine(`${p.stage} epoch ${p.epoch}: step ${p.step}/${p.totalSteps}  loss ${p.loss.toFixed(3)}  ${validationText(p.valAccuracy)}`),
      },
      report: backend,
    },
  );
  bar?.done();
  for (const warning of result.report.warnings ?? []) output.warn(warning);
  output.result(`${renderReportTable(result.report)}\nhtml report: ${result.htmlReport}`, result.report);
}

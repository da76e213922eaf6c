import { runPipeline } from '../../stages/run.js';
import { applyThreadsFlag, backendNotice, createOutput, microBatchNotice, validationText } from '../output.js';
import { ProgressBar } from '../progress.js';
import { renderReportTable } from '../render-report.js';
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
  const result = await runPipeline(
    { configPath, runDir: flags.runDir, toolVersion: toolVersion() },
    {
      stage: (name, state, detail) => {
        bar?.done();
        bar = undefined;
        if (state !== 'start') output.notice(`${name}: ${state}${detail ? ` (${detail})` : ''}`);
      },
      shrink: {
        backend: (choice) => output.notice(backendNotice(choice)),
        start: (info) => {
          output.notice(`shrink: ${info.totalSteps} steps${info.resumedAt ? `, resuming at step ${info.resumedAt}` : ''} -> ${info.runDir}`);
          microBatchNotice(output, info.microBatches);
          startBar(info.totalSteps, info.resumedAt);
        },
        step: (p) => bar?.update(p.step, `loss ${p.loss.toFixed(3)}  cost ${((100 * p.cost) / p.initialCost).toFixed(0)}%  alive ${p.aliveChannels}/${p.totalChannels}`),
        epoch: (p) => epochLine(`shrink epoch ${p.epoch}: step ${p.step}/${p.totalSteps}  cost ${((100 * p.cost) / p.initialCost).toFixed(0)}%  alive ${p.aliveChannels}/${p.totalChannels}  ${validationText(p.valAccuracy)}`),
        hint: (message) => output.notice(`hint: ${message}`),
      },
      retrain: {
        start: (info) => {
          output.notice(`${info.stage}: ${info.totalSteps} steps${info.resumedAt ? `, resuming at step ${info.resumedAt}` : ''}`);
          microBatchNotice(output, info.microBatches);
          startBar(info.totalSteps, info.resumedAt);
        },
        step: (p) => bar?.update(p.step, `loss ${p.loss.toFixed(3)}`),
        epoch: (p) => epochLine(`${p.stage} epoch ${p.epoch}: step ${p.step}/${p.totalSteps}  loss ${p.loss.toFixed(3)}  ${validationText(p.valAccuracy)}`),
      },
    },
  );
  bar?.done();
  for (const warning of result.report.warnings ?? []) output.warn(warning);
  output.result(`${renderReportTable(result.report)}\nhtml report: ${result.htmlReport}`, result.report);
}

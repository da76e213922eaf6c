import type { ShrinkProgress, ShrinkResult } from '../../stages/shrink.js';
import { shrinkStage } from '../../stages/shrink.js';
import { formatSi } from '../../config/si-number.js';
import { SHRINK_FLAGS, configOverrides } from '../config-flags.js';
import { backendNotice, createOutput, microBatchNotice, validationText } from '../output.js';
import { ProgressBar } from '../progress.js';
import { toolVersion } from '../version.js';

export interface ShrinkFlags {
  config?: string;
  model?: string;
  runDir?: string;
  force?: boolean;
  json?: boolean;
  [flag: string]: unknown;
}

const describeProgress = (p: ShrinkProgress) =>
  `loss ${p.loss.toFixed(3)} (task ${p.taskLoss.toFixed(3)})  cost ${formatSi(p.cost)} (${((100 * p.cost) / p.initialCost).toFixed(0)}%)  alive ${p.aliveChannels}/${p.totalChannels}`;

export function renderShrinkSummary(result: ShrinkResult): string {
  const lines = [
    `shrink finished in ${result.runDir} after ${result.steps} steps${result.resumedAt ? ` (resumed at step ${result.resumedAt})` : ''}`,
    `  ${result.target}: ${formatSi(result.initialCost)} -> ${formatSi(result.finalCost)} (-${(100 * result.costReduction).toFixed(1)}%)`,
    `  FLOPs: ${formatSi(result.initialFlops)} -> ${formatSi(result.finalFlops)} (-${(100 * (1 - result.finalFlops / result.initialFlops)).toFixed(1)}%)`,
    `  ${result.valAccuracy !== undefined ? `validation accuracy: ${(100 * result.valAccuracy).toFixed(2)}%` : 'validation accuracy: none (no validation set; data.validationSplit is 0)'}   lambda ${result.strength.toPrecision(3)}`,
    '  learned widths:',
    ...result.structure.groups.filter((g) => !g.fixed).map((g) => `    ${g.layers[0].padEnd(24)} ${String(g.original).padStart(5)} -> ${String(g.width).padStart(5)}`),
    `  channel scores (threshold ${result.threshold}):`,
    ...result.scoreHistogram.filter((b) => b.count > 0).map((b) => `    [${b.from.toExponential(0)}, ${b.to === Infinity ? 'inf' : b.to.toExponential(0)}) ${String(b.count).padStart(6)} ${'#'.repeat(Math.min(50, Math.ceil(b.count / 4)))}`),
    `  structure: ${result.runDir}/shrink/structure.json`,
  ];
  return lines.join('\n');
}

export async function shrinkCommand(flags: ShrinkFlags): Promise<void> {
  const output = createOutput({ json: flags.json });
  let bar: ProgressBar | undefined;
  const result = await shrinkStage(
    { configPath: flags.config, model: flags.model, runDir: flags.runDir, force: flags.force, overrides: configOverrides(flags, SHRINK_FLAGS), toolVersion: toolVersion() },
    {
      backend: (choice) => output.notice(backendNotice(choice)),
      start: (info) => {
        output.notice(`shrink: ${info.totalSteps} steps, target ${info.target}, lambda ${info.strength.toPrecision(3)}${info.resumedAt ? `, resuming at step ${info.resumedAt}` : ''} -> ${info.runDir}`);
        microBatchNotice(output, info.microBatches);
        if (output.interactive) bar = new ProgressBar(info.totalSteps, info.resumedAt);
      },
      step: (p) => bar?.update(p.step, describeProgress(p)),
      epoch: (p) => {
        const line = `epoch ${p.epoch}: step ${p.step}/${p.totalSteps}  ${describeProgress(p)}  ${validationText(p.valAccuracy)}`;
        if (bar) {
          bar.done();
          output.notice(line);
        } else output.notice(line);
      },
      hint: (message) => {
        bar?.done();
        output.notice(`hint: ${message}`);
      },
    },
  );
  bar?.done();
  output.result(renderShrinkSummary(result), result);
}

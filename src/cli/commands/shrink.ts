import type { ShrinkProgress, ShrinkResult } from '../../stages/shrink.js';
import { shrinkStage } from '../../stages/shrink.js';
import { formatSi } from '../../config/si-number.js';
import { SHRINK_FLAGS, configOverrides } from '../config-flags.js';
import { createOutput, microBatchNotice, validationText } from '../output.js';
import { ProgressBar } from '../progress.js';
import { renderScoreHistogram } from '../render-scores.js';
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

/** `flops: 14.9M -> 6.54M (-56.1%)`: the target resource, then FLOPs unless FLOPs are the target (one line, not two). */
function costLines(result: ShrinkResult): string[] {
  const change = (before: number, after: number) => `${formatSi(before)} -> ${formatSi(after)} (-${(100 * (1 - after / before)).toFixed(1)}%)`;
  return [
    `  ${result.target}: ${change(result.initialCost, result.finalCost)}`,
    ...(result.target === 'flops' ? [] : [`  FLOPs: ${change(result.initialFlops, result.finalFlops)}`]),
  ];
}

/** `lambda 3.00e-8`, or with a goal `lambda 4.12e-8 (steered toward goal 50%: 7.45M)`. */
function lambdaText(result: ShrinkResult): string {
  const lambda = `lambda ${result.strength.toPrecision(3)}`;
  return result.goal ? `${lambda} (steered toward goal ${result.goal.text}: ${formatSi(result.goal.cost)})` : lambda;
}

/** With a goal whose structure settled off the threshold's: `settled on the goal: 3 weak channels cut (7.98M at the threshold)`. */
function settleLines(result: ShrinkResult): string[] {
  const goal = result.goal;
  if (!goal || goal.cut + goal.kept === 0) return [];
  const moved = goal.cut > 0 ? `${goal.cut} weak channel${goal.cut === 1 ? '' : 's'} cut` : `${goal.kept} channel${goal.kept === 1 ? '' : 's'} under the threshold kept`;
  return [`  settled on the goal: ${moved} (${formatSi(goal.thresholdCost)} at the threshold ${result.threshold})`];
}

export function renderShrinkSummary(result: ShrinkResult): string {
  const lines = [
    `shrink finished in ${result.runDir} after ${result.steps} steps${result.resumedAt ? ` (resumed at step ${result.resumedAt})` : ''}`,
    ...costLines(result),
    ...settleLines(result),
    `  ${result.valAccuracy !== undefined ? `validation accuracy: ${(100 * result.valAccuracy).toFixed(2)}%` : 'validation accuracy: none (no validation set; data.validationSplit is 0)'}   ${lambdaText(result)}`,
    '  learned widths:',
    ...result.structure.groups.filter((g) => !g.fixed).map((g) => `    ${g.layers[0].padEnd(24)} ${String(g.original).padStart(5)} -> ${String(g.width).padStart(5)}`),
    ...renderScoreHistogram(result.scoreHistogram, result.threshold),
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
      backend: (choice) => output.backend(choice),
      removed: (paths) => output.removed('shrink', paths),
      start: (info) => {
        const lambda = info.goal ? `goal ${info.goal}, lambda steered from ${info.strength.toPrecision(3)}` : `lambda ${info.strength.toPrecision(3)}`;
        output.notice(`shrink: ${info.totalSteps} steps, target ${info.target}, ${lambda}${info.resumedAt ? `, resuming at step ${info.resumedAt}` : ''} -> ${info.runDir}`);
        microBatchNotice(output, info.microBatches);
        if (output.interactive) bar = new ProgressBar(info.totalSteps, info.resumedAt);
      },
      step: (p) => bar?.update(p.step, describeProgress(p)),
      epoch: (p) => {
        bar?.done();
        output.notice(`epoch ${p.epoch}: step ${p.step}/${p.totalSteps}  ${describeProgress(p)}  ${validationText(p.valAccuracy)}`);
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

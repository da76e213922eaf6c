import { formatSi } from '../../config/si-number.js';
import { describeValue, usageError } from '../../errors.js';
import type { TrainedModel } from '../../run-dir/trained-model.js';
import { retrainStage, type RetrainResult } from '../../stages/retrain.js';
import { createOutput, measuringSpinner, microBatchNotice, validationText } from '../output.js';
import { applyThreadsFlag } from '../threads-flag.js';
import { ProgressBar } from '../progress.js';
import { toolVersion } from '../version.js';

export interface RetrainFlags {
  runDir: string;
  baseline?: string;
  init?: string;
  threads?: string;
  force?: boolean;
  json?: boolean;
}

const describeModel = (m: TrainedModel) =>
  `${m.stage}: ${validationText(m.valAccuracy)}${m.testAccuracy !== undefined ? `, test acc ${(100 * m.testAccuracy).toFixed(2)}%` : ''}, FLOPs ${formatSi(m.cost.flops)}, params ${formatSi(m.cost.params)} -> ${m.modelDir}`;

export function renderRetrain(result: RetrainResult): string {
  return [result.retrain, result.baseline].filter((m): m is TrainedModel => m !== undefined).map(describeModel).join('\n');
}

export async function retrainCommand(flags: RetrainFlags): Promise<void> {
  if (flags.baseline !== undefined && flags.baseline !== 'uniform') throw usageError(`--baseline: expected uniform, received ${describeValue(flags.baseline)}`, '--baseline uniform');
  if (flags.init !== undefined && flags.init !== 'scratch' && flags.init !== 'pruned') throw usageError(`--init: expected scratch or pruned, received ${describeValue(flags.init)}`, '--init scratch');
  applyThreadsFlag(flags.threads);
  const output = createOutput({ json: flags.json });
  let bar: ProgressBar | undefined;
  const baselineTiming = measuringSpinner(output, 'the uniform baseline');
  const result = await retrainStage(
    { runDir: flags.runDir, baseline: flags.baseline as 'uniform' | undefined, init: flags.init as 'scratch' | 'pruned' | undefined, force: flags.force, toolVersion: toolVersion() },
    {
      backend: (choice) => output.backend(choice),
      removed: (stage, paths) => output.removed(stage, paths),
      measuringBaseline: baselineTiming.measuring,
      start: (info) => {
        baselineTiming.stop();
        output.notice(`${info.stage}: ${info.totalSteps} steps${info.resumedAt ? `, resuming at step ${info.resumedAt}` : ''}`);
        microBatchNotice(output, info.microBatches);
        if (output.interactive) bar = new ProgressBar(info.totalSteps, info.resumedAt);
      },
      step: (p) => bar?.update(p.step, `loss ${p.loss.toFixed(3)}  lr ${p.learningRate.toPrecision(3)}`),
      epoch: (p) => {
        bar?.done();
        output.notice(`${p.stage} epoch ${p.epoch}: step ${p.step}/${p.totalSteps}  loss ${p.loss.toFixed(3)}  ${validationText(p.valAccuracy)}`);
      },
    },
  ).finally(baselineTiming.stop);
  bar?.done();
  output.result(renderRetrain(result), result);
}

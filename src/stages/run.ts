import { signedPercent } from '../config/percent.js';
import { isStageComplete } from '../run-dir/run-dir.js';
import { defaultRunDir, resolveExperimentConfig } from '../run-state/experiment.js';
import { RunState } from '../run-state/run-state.js';
import type { ExpandedStructure } from '../structure/structure-file.js';
import { expandStage, targetFromConfig, type ExpandEvents } from './expand.js';
import { reportStage, type Report, type ReportEvents } from './report.js';
import { writeHtmlReport } from './report-html.js';
import { retrainStage, type RetrainEvents, type RetrainResult } from './retrain.js';
import { shrinkStage, type ShrinkEvents, type ShrinkResult } from './shrink.js';

export interface RunRequest {
  configPath: string;
  runDir?: string;
  toolVersion: string;
}

export interface RunEvents {
  stage?(name: 'shrink' | 'expand' | 'retrain' | 'report', state: 'start' | 'skipped' | 'done', detail?: string): void;
  shrink?: ShrinkEvents;
  /** A shrink that ran in this invocation finished (not one skipped as complete): its result, with the score histogram. */
  shrinkFinished?(result: ShrinkResult): void;
  expand?: ExpandEvents;
  retrain?: RetrainEvents;
  report?: ReportEvents;
}

/** `multiplier 1.234`, and where the structure was timed against the seed, how near its latency landed (`, measured -0.8% off the latency budget at the table's speed, 2 fits`). */
export function expandDetail(expand: ExpandedStructure): string {
  const measured = expand.measured;
  if (!measured) return `multiplier ${expand.multiplier.toFixed(3)}`;
  const error = measured.attempts[measured.chosen].error;
  const fits = measured.attempts.length;
  return `multiplier ${expand.multiplier.toFixed(3)}, measured ${signedPercent(error)} off the latency budget at the table's speed, ${fits} fit${fits === 1 ? '' : 's'}`;
}

export interface RunResult {
  runDir: string;
  expand: ExpandedStructure;
  retrain: RetrainResult;
  report: Report;
  htmlReport: string;
}

/**
 * `morphnet run`: shrink, expand (to the config's target), retrain (and the uniform baseline
 * when configured), report. A stage whose outputs are complete is skipped; an interrupted one
 * resumes from its checkpoint, so re-running after any crash finishes the job.
 */
export async function runPipeline(request: RunRequest, events: RunEvents = {}): Promise<RunResult> {
  const config = resolveExperimentConfig({ configPath: request.configPath });
  const runDir = request.runDir ?? defaultRunDir(request.configPath, config);

  if (isStageComplete(runDir, 'shrink')) events.stage?.('shrink', 'skipped');
  else {
    events.stage?.('shrink', 'start');
    const shrink = await shrinkStage({ configPath: request.configPath, runDir, toolVersion: request.toolVersion }, events.shrink);
    events.stage?.('shrink', 'done', `FLOPs -${(100 * (1 - shrink.finalFlops / shrink.initialFlops)).toFixed(1)}%`);
    events.shrinkFinished?.(shrink);
  }

  let expand: ExpandedStructure;
  if (isStageComplete(runDir, 'expand')) {
    events.stage?.('expand', 'skipped');
    expand = RunState.open(runDir, 'expand').expandedFile();
  } else {
    events.stage?.('expand', 'start');
    // The budget comes from the config as it is now, so editing expand: and re-running applies it.
    expand = await expandStage({ runDir, target: targetFromConfig(config), hardware: config.expand.hardware ?? undefined, toolVersion: request.toolVersion }, events.expand);
    events.stage?.('expand', 'done', expandDetail(expand));
  }

  events.stage?.('retrain', 'start');
  const retrain = await retrainStage({ runDir, toolVersion: request.toolVersion }, events.retrain);
  events.stage?.('retrain', 'done');

  events.stage?.('report', 'start');
  const report = await reportStage(runDir, events.report);
  const htmlReport = writeHtmlReport(report);
  events.stage?.('report', 'done');
  return { runDir, expand, retrain, report, htmlReport };
}

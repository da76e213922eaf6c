import { loadCheckpoint, saveCheckpoint, type LoopPosition } from './checkpoint.js';
import type { Evaluation } from './evaluate.js';
import { runLoop, type LoopOptions } from './loop.js';
import { MetricsLog } from './metrics-log.js';
import type { StepLosses } from './train-step.js';

/** The loop's options, minus what the session itself supplies (start, step and epoch hooks). */
export interface SessionOptions extends Omit<LoopOptions, 'start' | 'afterStep' | 'afterEpoch'> {
  checkpointDir: string;
  checkpointEvery: number;
  metricsPath: string;
  /** After a checkpoint is restored (or none was), before the first step; `state` is what `checkpointState` gave when it was saved. */
  afterRestore?(resumedAt: number, state: Record<string, unknown>): void;
  /** Extra state a resumed run needs (e.g. a steered lambda), saved in each checkpoint. */
  checkpointState?(): Record<string, unknown>;
  /** Extra fields for the step's metrics line, computed after the step. */
  stepMetrics?(losses: StepLosses, next: LoopPosition): Record<string, unknown>;
  afterStep?(losses: StepLosses, next: LoopPosition, metrics: Record<string, unknown>): void;
  afterEpoch?(epoch: number, validation: Evaluation, next: LoopPosition): void;
}

/**
 * A training run that survives being killed: it restores the latest checkpoint if there is one,
 * logs every step to metrics.jsonl (cut back to the checkpoint on resume), checkpoints every
 * `checkpointEvery` steps and at the end.
 */
export async function trainWithCheckpoints(options: SessionOptions): Promise<{ end: LoopPosition; resumedAt: number }> {
  const restored = await loadCheckpoint(options.checkpointDir, options.model, options.optimizer);
  const resumedAt = restored?.position.step ?? 0;
  const metrics = new MetricsLog(options.metricsPath);
  if (restored) metrics.truncateAfter(resumedAt);
  else metrics.reset();
  options.afterRestore?.(resumedAt, restored?.extra ?? {});
  const end = await runLoop({
    ...options,
    start: restored?.position,
    afterStep: async (losses, next) => {
      const record = { step: next.step, epoch: next.epoch, loss: losses.loss, taskLoss: losses.taskLoss, regLoss: losses.regLoss, ...options.stepMetrics?.(losses, next) };
      metrics.append(record);
      options.afterStep?.(losses, next, record);
      if (next.step % options.checkpointEvery === 0 && next.step < options.totalSteps) {
        await saveCheckpoint(options.checkpointDir, options.model, options.optimizer, next, options.checkpointState?.());
      }
      // A step never yields to the event loop (its awaits resolve at once): let signal handlers
      // (Ctrl-C, which records the interrupt in run.json) run between steps.
      await new Promise<void>((resolve) => setImmediate(resolve));
    },
    afterEpoch: (epoch, validation, next) => {
      // Without a validation set the epoch line records the epoch alone: no NaN (null in JSON) accuracy.
      metrics.append({ step: next.step, epoch, ...(validation.count > 0 ? { valAccuracy: validation.accuracy, valLoss: validation.loss } : {}) });
      options.afterEpoch?.(epoch, validation, next);
    },
  });
  await saveCheckpoint(options.checkpointDir, options.model, options.optimizer, end, options.checkpointState?.());
  return { end, resumedAt };
}

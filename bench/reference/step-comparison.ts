import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { exportCnnWeights } from './cnn-weights.js';
import { writeNpy } from './npy-file.js';
import { runOurSteps, type ShrinkHyperparameters, type StepRecord } from './our-steps.js';
import { startTorchReference } from './torch-reference.js';

/** The largest disagreement of one quantity over all steps, and where it was. */
export interface Worst {
  relative: number;
  step: number;
  ours: number;
  reference: number;
  where?: string;
}

/** How far one run's records are from another's. */
export interface Differences {
  taskLoss: Worst;
  regLoss: Worst;
  /** Each gamma's difference relative to the largest |gamma| of its layer at that step (a near-zero gamma has no scale of its own). */
  gamma: Worst;
  /** Steps whose alive channel counts (the regularizer's A terms) differ. */
  aliveMismatches: number[];
  /** The smallest distance | |gamma| - threshold | of any gamma at any step: how close the alive decisions came to flipping. */
  closestToThreshold: number;
}

export interface StepComparison {
  ours: StepRecord[];
  reference: StepRecord[];
  differences: Differences;
  /** With `float64`: the reference again in float64, and how far each float32 run is from it. */
  float64?: { reference: StepRecord[]; ours: Differences; torchFloat32: Differences };
}

const relative = (value: number, expected: number, scale = Math.abs(expected)) => Math.abs(value - expected) / Math.max(scale, Number.MIN_VALUE);

function worstOf(candidates: Worst[]): Worst {
  return candidates.reduce((worst, c) => (c.relative > worst.relative ? c : worst), { relative: 0, step: -1, ours: 0, reference: 0 });
}

function worstGamma(records: StepRecord[], expected: StepRecord[]): Worst {
  return worstOf(
    records.flatMap((record, step) =>
      Object.entries(record.gammas).flatMap(([conv, gammas]) => {
        const reference = expected[step].gammas[conv];
        const scale = Math.max(...reference.map(Math.abs));
        return gammas.map((g, channel) => ({ relative: relative(g, reference[channel], scale), step, ours: g, reference: reference[channel], where: `${conv}[${channel}]` }));
      }),
    ),
  );
}

function worstScalar(records: StepRecord[], expected: StepRecord[], key: 'taskLoss' | 'regLoss'): Worst {
  return worstOf(records.map((r, step) => ({ relative: relative(r[key], expected[step][key]), step, ours: r[key], reference: expected[step][key] })));
}

/** How far `records` are from `expected`, step by step. */
export function compareRecords(records: StepRecord[], expected: StepRecord[], threshold: number): Differences {
  if (records.length !== expected.length) throw new Error(`one side ran ${records.length} steps, the other ${expected.length}`);
  const gammas = records.flatMap((r) => Object.values(r.gammas).flat());
  return {
    taskLoss: worstScalar(records, expected, 'taskLoss'),
    regLoss: worstScalar(records, expected, 'regLoss'),
    gamma: worstGamma(records, expected),
    aliveMismatches: records.filter((r, step) => JSON.stringify(r.alive) !== JSON.stringify(expected[step].alive)).map((r) => r.step),
    closestToThreshold: Math.min(...gammas.map((g) => Math.abs(Math.abs(g) - threshold))),
  };
}

/**
 * Trains the same zoo:cnn (its current weights) on the same batches with this project and with
 * the PyTorch reference (bench/reference/gamma_flops.py), and compares every step. `x` holds
 * whole batches of samples in the model's input shape (channels last), `labels` their classes.
 * With `float64`, the reference also runs in float64, the yardstick for both float32 runs.
 * Leaves `model` trained by our side.
 */
export async function compareWithReference(model: tf.LayersModel, x: Float32Array, labels: Int32Array, options: ShrinkHyperparameters, float64 = false): Promise<StepComparison> {
  const directory = mkdtempSync(join(tmpdir(), 'morphnet-reference-'));
  try {
    exportCnnWeights(model, join(directory, 'weights'));
    const inputShape = (model.inputs[0].shape as number[]).slice(1);
    writeNpy(join(directory, 'x.npy'), x, [labels.length, ...inputShape]);
    writeNpy(join(directory, 'labels.npy'), labels, [labels.length]);
    const job = { mode: 'steps', weights: join(directory, 'weights'), x: join(directory, 'x.npy'), labels: join(directory, 'labels.npy'), ...options };
    const pending = [startTorchReference<StepRecord>(job), ...(float64 ? [startTorchReference<StepRecord>({ ...job, dtype: 'float64' })] : [])];
    // Awaited below; if our side throws first, a child's failure is not an unhandled rejection.
    for (const p of pending) p.catch(() => undefined);
    // The sides run at the same time: the reference in child processes, ours here.
    const ours = runOurSteps(model, x, labels, options);
    const [reference, reference64] = await Promise.all(pending);
    return {
      ours,
      reference,
      differences: compareRecords(ours, reference, options.threshold),
      ...(reference64
        ? { float64: { reference: reference64, ours: compareRecords(ours, reference64, options.threshold), torchFloat32: compareRecords(reference, reference64, options.threshold) } }
        : {}),
    };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

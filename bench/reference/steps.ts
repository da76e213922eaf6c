import { initBackend } from '../../src/backend/select.js';
import { compareWithReference, type Differences } from './step-comparison.js';
import { CHAOTIC_REGIME, mnistBatches, seedCnn, TEST_REGIME, type StepRegime } from './step-setup.js';

export interface RegimeDrift {
  regime: string;
  /** Ours (tfjs float32) against the PyTorch reference in float32. */
  oursVsTorch: Differences;
  /** Each float32 run against the reference in float64: how much of the disagreement float32 itself explains. */
  oursVsFloat64: Differences;
  torchVsFloat64: Differences;
}

async function regimeDrift(regime: StepRegime): Promise<RegimeDrift> {
  const { x, labels } = mnistBatches(regime.steps, regime.hyperparameters.batchSize);
  const comparison = await compareWithReference(seedCnn(regime.smallGammas), x, labels, regime.hyperparameters, true);
  return { regime: regime.name, oursVsTorch: comparison.differences, oursVsFloat64: comparison.float64!.ours, torchVsFloat64: comparison.float64!.torchFloat32 };
}

/**
 * `npm run bench -- reference --steps`: the test's step-by-step comparison with a float64 run of
 * the reference as the yardstick, in the test's regime and in a chaotic one, where no float32
 * implementation can stay within 1e-4 of another for 50 steps.
 */
export async function benchReferenceSteps(): Promise<RegimeDrift[]> {
  await initBackend('wasm');
  const drifts: RegimeDrift[] = [];
  for (const regime of [TEST_REGIME, CHAOTIC_REGIME]) drifts.push(await regimeDrift(regime));
  return drifts;
}

import type * as tf from '@tensorflow/tfjs';
import { activeBackend } from '../backend/select.js';
import type { Resource } from '../cost/cost-model.js';
import { isTableHardware, type Hardware } from '../cost/hardware.js';
import { measuredOn } from '../cost/latency-table.js';
import type { ChannelAnalysis } from '../graph/channel-groups.js';
import { LANDING, landOnTarget } from './land-on-target.js';
import { CALIBRATION_PROTOCOL } from './measure-model.js';
import { measuredShareOfSeed } from './share-of-seed.js';
import type { PairedProtocol } from './timing.js';
import type { BudgetFit } from '../structure/fill-budget.js';
import type { MeasuredLanding } from '../structure/structure-file.js';

/** Where and how a structure fitted to a latency budget is timed against the seed. */
export interface LandingTiming {
  /** `wasm, 2 threads, batch 1`: the table's backend, which is the run's. */
  on: string;
  batch: number;
  protocol: PairedProtocol;
}

/**
 * Where a budget's structure is timed against the seed (`landOnTarget`): a latency budget priced
 * from a measured table, on the backend and threads the table was measured with (the active one),
 * timed at the table's batch; undefined where the budget is another resource, the hardware is a
 * roofline (it describes another machine), the run's backend is not the table's, or `measure` is
 * false (--no-measure, expand.measureLatency false).
 */
export function landingTiming(hardware: Hardware | undefined, resource: Resource, measure: boolean, protocol: PairedProtocol = CALIBRATION_PROTOCOL): LandingTiming | undefined {
  const backend = activeBackend();
  if (!measure || resource !== 'latency' || !hardware || !isTableHardware(hardware) || !backend) return undefined;
  const { table } = hardware;
  if (table.backend !== backend.name || table.threads !== backend.threads) return undefined;
  return { on: measuredOn(table), batch: table.batch, protocol };
}

/**
 * The fit `landOnTarget` takes for a latency budget: each fit rebuilt from the seed and timed in
 * pairs with it, refitted while it misses; `first` is the fit at the target itself (already made
 * by the caller). Returns the fit taken and the record of its landing.
 */
export async function landMeasured(
  first: BudgetFit,
  fitAt: (budget: number) => BudgetFit | undefined,
  targetMs: number,
  seedPredictedMs: number,
  seed: { model: tf.LayersModel; analysis: ChannelAnalysis },
  timing: LandingTiming,
  onMeasuring?: (attempt: number, maxFits: number) => void,
): Promise<{ fit: BudgetFit; measured: MeasuredLanding }> {
  const landing = await landOnTarget(targetMs, seedPredictedMs, (aim) => (aim === targetMs ? first : fitAt(aim)), (fit, attempt) => {
    onMeasuring?.(attempt, LANDING.maxFits);
    return measuredShareOfSeed(seed.model, seed.analysis, fit.widths, timing.batch, timing.protocol);
  });
  // The first aim is the target, whose fit the caller made: landOnTarget has at least that one.
  const { fit, attempts, chosen } = landing!;
  return { fit, measured: { attempts, chosen, on: timing.on, protocol: timing.protocol } };
}

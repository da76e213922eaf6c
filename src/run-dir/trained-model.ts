import type { Stage } from './run-dir.js';

/** `<stage>/result.json` of a trained stage (retrain, baseline): what report and sweep read of it. */
export interface TrainedModel {
  stage: Stage;
  modelDir: string;
  steps: number;
  resumedAt: number;
  /** Absent without a validation set (data.validationSplit: 0). */
  valAccuracy?: number;
  testAccuracy?: number;
  cost: { flops: number; macs: number; params: number; totalParams: number; activations: number };
  widths: Record<string, number>;
  multiplier?: number;
}

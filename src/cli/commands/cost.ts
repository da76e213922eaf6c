import { describeValue, usageError } from '../../errors.js';
import { costStage, parseInputShape } from '../../stages/cost.js';
import type { BackendRequest } from '../../backend/select.js';
import { createOutput } from '../output.js';
import { renderCostTable } from '../render-cost.js';

export interface CostFlags {
  model: string;
  format: 'table' | 'json';
  hardware?: string;
  batchSize: string;
  inputShape?: string;
  backend?: BackendRequest;
}

export async function costCommand(flags: CostFlags): Promise<void> {
  const batchSize = Number(flags.batchSize);
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw usageError(`--batch-size: expected a positive integer, received ${describeValue(flags.batchSize)}`, 'e.g. --batch-size 32');
  }
  const output = createOutput({ json: flags.format === 'json' });
  const report = await costStage({ model: flags.model, hardware: flags.hardware, batchSize, inputShape: parseInputShape(flags.inputShape), backend: flags.backend });
  output.result(renderCostTable(report), report);
}

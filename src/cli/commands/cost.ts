import { positiveIntegerFlag } from '../integer-flag.js';
import { costStage, parseInputShape } from '../../stages/cost.js';
import { activeBackend, type BackendRequest } from '../../backend/select.js';
import { wantsJson } from '../json-flag.js';
import { createOutput } from '../output.js';
import { renderCostTable } from '../render-cost.js';

export interface CostFlags {
  model: string;
  /** table (the default) | json (the same as --json). */
  format?: 'table' | 'json';
  json?: boolean;
  hardware?: string;
  batchSize: string;
  inputShape?: string;
  backend?: BackendRequest;
  config?: string;
}

export async function costCommand(flags: CostFlags): Promise<void> {
  const batchSize = positiveIntegerFlag('--batch-size', flags.batchSize, '32');
  const output = createOutput({ json: wantsJson(flags, 'cost') });
  const report = await costStage({ model: flags.model, hardware: flags.hardware, batchSize, inputShape: parseInputShape(flags.inputShape), backend: flags.backend, configPath: flags.config });
  // The cost stage starts the backend itself (src/stages/cost.ts reports no events): say which one it is.
  const backend = activeBackend();
  if (backend) output.backend(backend);
  output.result(renderCostTable(report), report);
}

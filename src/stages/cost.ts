import { initBackend, type BackendRequest } from '../backend/select.js';
import { resolveHardware } from '../cost/hardware.js';
import { countModel, type CostReport } from '../cost/count-model.js';
import { describeValue, usageError } from '../errors.js';
import { loadModel, modelSourceFromSpec } from '../model/load.js';

export interface CostRequest {
  model: string;
  hardware?: string;
  batchSize?: number;
  inputShape?: number[];
  backend?: BackendRequest;
}

/** `morphnet cost`: counts any model, no training. */
export async function costStage(request: CostRequest): Promise<CostReport> {
  const hardware = request.hardware ? resolveHardware(request.hardware) : undefined;
  await initBackend(request.backend ?? 'cpu');
  const model = await loadModel(modelSourceFromSpec(request.model));
  return countModel(model, { hardware, batchSize: request.batchSize, inputShape: request.inputShape });
}

export function parseInputShape(text: string | undefined): number[] | undefined {
  if (text === undefined) return undefined;
  const shape = text.split(/[,x]/).map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw usageError(`--input-shape: expected positive integers like 224,224,3, received ${describeValue(text)}`, 'give height,width,channels without the batch dimension');
  }
  return shape;
}

import { initBackend, type BackendRequest } from '../backend/select.js';
import { loadConfigFile } from '../config/load.js';
import { isTableHardware, resolveHardware, type Hardware } from '../cost/hardware.js';
import { countModel, type CostReport } from '../cost/count-model.js';
import { describeValue, usageError } from '../errors.js';
import { loadModel, modelSourceFromSpec } from '../model/load.js';

export interface CostRequest {
  model: string;
  hardware?: string;
  batchSize?: number;
  inputShape?: number[];
  backend?: BackendRequest;
  /** A config whose `hardware:` section defines the hardware name. */
  configPath?: string;
}

/** The hardware to cost latency on; a measured table only at the batch it was measured at. */
function costHardware(request: CostRequest): Hardware | undefined {
  if (!request.hardware) return undefined;
  const hardware = resolveHardware(request.hardware, request.configPath ? loadConfigFile(request.configPath).hardware : {});
  const batchSize = request.batchSize ?? 1;
  if (isTableHardware(hardware) && hardware.table.batch !== batchSize) {
    throw usageError(
      `--batch-size ${batchSize}: latency table ${hardware.path} was measured at batch ${hardware.table.batch}`,
      `pass --batch-size ${hardware.table.batch}, or measure the table at batch ${batchSize} with morphnet latency --batch ${batchSize}`,
    );
  }
  return hardware;
}

/** `morphnet cost`: counts any model, no training. */
export async function costStage(request: CostRequest): Promise<CostReport> {
  const hardware = costHardware(request);
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

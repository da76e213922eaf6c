import { activeBackend } from '../../backend/select.js';
import { formatSi } from '../../config/si-number.js';
import { exportStage, type ExportFormat, type ExportSource } from '../../stages/export.js';
import { createOutput } from '../output.js';

export interface ExportFlags {
  runDir: string;
  format: ExportFormat;
  from: ExportSource;
  output?: string;
  json?: boolean;
}

export async function exportCommand(flags: ExportFlags): Promise<void> {
  const output = createOutput({ json: flags.json });
  const spinner = output.spinner(`exporting the ${flags.from} model as ${flags.format}`);
  try {
    const result = await exportStage({ runDir: flags.runDir, format: flags.format, from: flags.from, output: flags.output });
    spinner?.stop();
    // The export stage starts the backend itself (src/stages/export.ts reports no events): say which one it is.
    const backend = activeBackend();
    if (backend) output.backend(backend);
    // ExportResult.params counts every weight the file holds (model.countParams()), BN moving statistics included,
    // where report and cost's `params` count trainable ones only: say which.
    output.result(`wrote ${result.path} (${result.format}, the ${result.from} model: ${formatSi(result.params)} params in all, BN moving statistics included; ${formatSi(result.flops)} FLOPs)`, result);
  } finally {
    spinner?.stop();
  }
}

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
    output.result(`wrote ${result.path} (${result.format}, the ${result.from} model: ${formatSi(result.params)} params, ${formatSi(result.flops)} FLOPs)`, result);
  } finally {
    spinner?.stop();
  }
}

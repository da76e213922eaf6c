import { reportStage } from '../../stages/report.js';
import { createOutput } from '../output.js';
import { renderReportTable } from '../render-report.js';

export interface ReportFlags {
  runDir: string;
  format: 'table' | 'json' | 'html';
}

export async function reportCommand(flags: ReportFlags): Promise<void> {
  const output = createOutput({ json: flags.format === 'json' });
  const report = await reportStage(flags.runDir);
  for (const warning of report.warnings ?? []) output.warn(warning);
  if (flags.format === 'html') {
    const { writeHtmlReport } = await import('../../stages/report-html.js');
    output.result(`wrote ${writeHtmlReport(report)}`, report);
    return;
  }
  output.result(renderReportTable(report), report);
}

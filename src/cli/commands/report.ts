import { reportStage } from '../../stages/report.js';
import { wantsJson } from '../json-flag.js';
import { createOutput } from '../output.js';
import { renderReportTable } from '../render-report.js';

export interface ReportFlags {
  runDir: string;
  /** table (the default) | json (the same as --json) | html (writes report.html; with --json also prints the report as JSON). */
  format?: 'table' | 'json' | 'html';
  json?: boolean;
}

export async function reportCommand(flags: ReportFlags): Promise<void> {
  const output = createOutput({ json: wantsJson(flags, 'report') });
  const report = await reportStage(flags.runDir, { backend: output.backend });
  for (const warning of report.warnings ?? []) output.warn(warning);
  if (flags.format === 'html') {
    const { writeHtmlReport } = await import('../../stages/report-html.js');
    output.result(`wrote ${writeHtmlReport(report)}`, report);
    return;
  }
  output.result(renderReportTable(report), report);
}

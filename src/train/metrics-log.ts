import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { runDirError } from '../errors.js';
import { withWritePath, writeFileAtomic } from '../run-dir/atomic.js';

export type MetricsRecord = Record<string, unknown>;

/** The records of a metrics log and what a reader should be told about it (a dropped torn line). */
export interface MetricsRead {
  records: MetricsRecord[];
  warnings: string[];
}

/** The start of a line, enough to recognise it, for messages. */
const excerpt = (line: string) => JSON.stringify(line.length > 60 ? `${line.slice(0, 57)}...` : line);

const parseRecord = (line: string): MetricsRecord | undefined => {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as MetricsRecord) : undefined;
  } catch {
    return undefined;
  }
};

/**
 * Parses metrics.jsonl text. A last line that is not a whole JSON object was torn by a kill during
 * its append: it is dropped with a warning. Any other such line means the file was damaged
 * another way, and is an error naming the file and the line.
 */
export function parseMetricsLog(text: string, path: string): MetricsRead {
  const lines = text.split('\n').map((line, index) => ({ line, lineNumber: index + 1 })).filter(({ line }) => line.trim() !== '');
  const records: MetricsRecord[] = [];
  const warnings: string[] = [];
  lines.forEach(({ line, lineNumber }, index) => {
    const record = parseRecord(line);
    if (record) records.push(record);
    else if (index === lines.length - 1) {
      warnings.push(`${path}:${lineNumber}: ignored the last line, ${excerpt(line)}, which is not a whole JSON record (a run killed while writing it leaves one)`);
    } else {
      throw runDirError(
        `${path}:${lineNumber}: expected one JSON record per line, received ${excerpt(line)}`,
        `the metrics log is damaged before its last line; delete line ${lineNumber} (the run's results do not depend on it), or redo the stage with --force`,
      );
    }
  });
  return { records, warnings };
}

/**
 * metrics.jsonl: one JSON line per logged step, appended whole. On resume the log is cut back
 * to the checkpoint's step (and any torn last line dropped), so it reads as one clean run.
 */
export class MetricsLog {
  constructor(private readonly path: string) {}

  truncateAfter(step: number): void {
    if (!existsSync(this.path)) return;
    const kept = this.read().records.filter((record) => (record.step as number) <= step);
    writeFileAtomic(this.path, kept.map((record) => `${JSON.stringify(record)}\n`).join(''));
  }

  reset(): void {
    writeFileAtomic(this.path, '');
  }

  append(record: MetricsRecord): void {
    withWritePath(this.path, () => appendFileSync(this.path, `${JSON.stringify(record)}\n`));
  }

  read(): MetricsRead {
    if (!existsSync(this.path)) return { records: [], warnings: [] };
    return parseMetricsLog(readFileSync(this.path, 'utf8'), this.path);
  }
}

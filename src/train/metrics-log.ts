import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../run-dir/atomic.js';

/**
 * metrics.jsonl: one JSON line per logged step, appended whole. On resume the log is cut back
 * to the checkpoint's step (and any torn last line dropped), so it reads as one clean run.
 */
export class MetricsLog {
  constructor(private readonly path: string) {}

  truncateAfter(step: number): void {
    if (!existsSync(this.path)) return;
    const kept = readFileSync(this.path, 'utf8')
      .split('\n')
      .filter((line) => {
        if (!line.trim()) return false;
        try {
          return (JSON.parse(line) as { step: number }).step <= step;
        } catch {
          return false;
        }
      });
    writeFileAtomic(this.path, kept.length ? `${kept.join('\n')}\n` : '');
  }

  reset(): void {
    writeFileAtomic(this.path, '');
  }

  append(record: Record<string, unknown>): void {
    appendFileSync(this.path, `${JSON.stringify(record)}\n`);
  }

  read(): Array<Record<string, unknown>> {
    if (!existsSync(this.path)) return [];
    return readFileSync(this.path, 'utf8')
      .split('\n')
      .filter((line) => line.trim())
      .map((line) => JSON.parse(line));
  }
}

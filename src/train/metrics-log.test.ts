import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MorphnetError } from '../errors.js';
import { MetricsLog } from './metrics-log.js';

const logIn = (text: string) => {
  const path = join(mkdtempSync(join(tmpdir(), 'morphnet-metrics-')), 'metrics.jsonl');
  writeFileSync(path, text);
  return { path, log: new MetricsLog(path) };
};

// Three whole records, then the fourth cut off mid-append by a kill (no closing brace, no newline).
const WHOLE = '{"step":1,"loss":2.5}\n{"step":2,"loss":2.25}\n{"step":3,"loss":2}\n';
const TORN = '{"step":4,"loss":1.';

describe('MetricsLog', () => {
  it('reads every record of a clean log, with no warnings', () => {
    const { log } = logIn(WHOLE);
    expect(log.read()).toEqual({ records: [{ step: 1, loss: 2.5 }, { step: 2, loss: 2.25 }, { step: 3, loss: 2 }], warnings: [] });
  });

  it('drops a torn last line with a warning naming the file and its line (4)', () => {
    const { path, log } = logIn(WHOLE + TORN);
    const { records, warnings } = log.read();
    expect(records.map((r) => r.step)).toEqual([1, 2, 3]);
    expect(warnings).toEqual([`${path}:4: ignored the last line, "{\\"step\\":4,\\"loss\\":1.", which is not a whole JSON record (a run killed while writing it leaves one)`]);
  });

  it('refuses a damaged line that is not the last, naming the file and the line (2)', () => {
    const { path, log } = logIn('{"step":1,"loss":2.5}\n{"step":2,"lo\n{"step":3,"loss":2}\n');
    let error: unknown;
    try {
      log.read();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MorphnetError);
    expect((error as MorphnetError).message).toBe(`${path}:2: expected one JSON record per line, received "{\\"step\\":2,\\"lo"`);
    expect((error as MorphnetError).hint).toContain('delete line 2');
  });

  it('on resume, cuts the log back to the checkpoint step and drops the torn last line', () => {
    const { path, log } = logIn(WHOLE + TORN);
    log.truncateAfter(2);
    expect(readFileSync(path, 'utf8')).toBe('{"step":1,"loss":2.5}\n{"step":2,"loss":2.25}\n');
    log.append({ step: 3, loss: 1.75 });
    expect(log.read()).toEqual({ records: [{ step: 1, loss: 2.5 }, { step: 2, loss: 2.25 }, { step: 3, loss: 1.75 }], warnings: [] });
  });

  it('on resume at the last whole step, keeps every whole record and only drops the torn line', () => {
    const { path, log } = logIn(WHOLE + TORN);
    log.truncateAfter(3);
    expect(readFileSync(path, 'utf8')).toBe(WHOLE);
  });
});

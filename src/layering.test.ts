import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The layers of DESIGN.md: imports point down only (same-level imports are allowed).
 *   cli -> stages -> {train, structure, surgery, data} -> {regularizers, cost} -> graph
 *       -> {model, backend} -> {config, run-dir} -> errors
 */
const LEVEL: Record<string, number> = {
  cli: 7,
  stages: 6,
  train: 5,
  structure: 5,
  surgery: 5,
  data: 5,
  sweep: 5,
  regularizers: 4,
  cost: 4,
  graph: 3,
  model: 2,
  backend: 2,
  config: 1,
  'run-dir': 1,
  'errors.ts': 0,
};

const SRC = import.meta.dirname;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

const layerOf = (file: string) => relative(SRC, file).split('/')[0];

describe('layering', () => {
  it('every import in src/ points to the same or a lower layer', () => {
    const violations: string[] = [];
    for (const file of sourceFiles(SRC)) {
      const from = layerOf(file);
      for (const match of readFileSync(file, 'utf8').matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
        const to = layerOf(resolve(dirname(file), match[1]).replace(/\.js$/, '.ts'));
        if (!(from in LEVEL) || !(to in LEVEL)) violations.push(`${relative(SRC, file)}: unknown layer ${from} or ${to}`);
        else if (LEVEL[to] > LEVEL[from]) violations.push(`${relative(SRC, file)} (${from}) imports ${match[1]} (${to})`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('only cli/ prints or exits', () => {
    const offenders = sourceFiles(SRC)
      .filter((file) => layerOf(file) !== 'cli')
      .filter((file) => /console\.(log|error|warn)|process\.exit/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(SRC, file));
    expect(offenders).toEqual([]);
  });
});

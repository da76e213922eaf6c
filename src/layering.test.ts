import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The layers of DESIGN.md: imports point down only (same-level imports are allowed).
 *   cli -> stages -> {train, structure, surgery, data, latency} -> {regularizers, cost} -> graph
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
  'run-state': 5,
  latency: 5,
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

/**
 * Stages do not import each other: what two stages share lives in a lower layer. The exceptions:
 * the orchestrators, which run other stages (run.ts: the pipeline; sweep.ts: many runs), and the
 * HTML rendering helpers, which share one escape and one chart scale (html-escape.ts, and
 * report-html.ts for sweep-html.ts) and read the report's types.
 */
const STAGE_IMPORTERS = new Set(['stages/run.ts', 'stages/sweep.ts']);
const SHARED_STAGE_MODULES = new Set(['stages/html-escape.ts', 'stages/report-html.ts']);
const STAGES_WITH_HTML = new Set(['stages/report-html.ts', 'stages/sweep-html.ts']);

function stageImportAllowed(from: string, to: string): boolean {
  if (STAGE_IMPORTERS.has(from)) return true;
  if (STAGES_WITH_HTML.has(from) && (SHARED_STAGE_MODULES.has(to) || to === 'stages/report.ts')) return true;
  return false;
}

/** Every relative import of a source file, as paths relative to src/ (.ts). */
function importsOf(file: string): Array<{ spec: string; target: string }> {
  return [...readFileSync(file, 'utf8').matchAll(/from '(\.{1,2}\/[^']+)'/g)].map((match) => ({
    spec: match[1],
    target: relative(SRC, resolve(dirname(file), match[1]).replace(/\.js$/, '.ts')),
  }));
}

/** Statements that load a module at run time (not `import type`), as the specifiers they load. */
const runtimeImports = (file: string) =>
  [...readFileSync(file, 'utf8').matchAll(/^(?:import|export)\s+(?!type\s)[^;]*?from\s+'([^']+)'/gm)].map((match) => match[1]);

/** The chains by which `entry` (relative to src/) loads @tensorflow packages through static imports. */
function tfjsChains(entry: string): string[] {
  const seen = new Set<string>();
  const chains: string[] = [];
  const walk = (file: string, chain: string[]) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of runtimeImports(join(SRC, file))) {
      if (spec.startsWith('@tensorflow/')) chains.push([...chain, file, spec].join(' -> '));
      else if (spec.startsWith('.')) walk(relative(SRC, resolve(dirname(join(SRC, file)), spec).replace(/\.js$/, '.ts')), [...chain, file]);
    }
  };
  walk(entry, []);
  return chains;
}

describe('layering', () => {
  it('every import in src/ points to the same or a lower layer', () => {
    const violations: string[] = [];
    for (const file of sourceFiles(SRC)) {
      const from = layerOf(file);
      for (const { spec, target } of importsOf(file)) {
        const to = target.split('/')[0];
        if (!(from in LEVEL) || !(to in LEVEL)) violations.push(`${relative(SRC, file)}: unknown layer ${from} or ${to}`);
        else if (LEVEL[to] > LEVEL[from]) violations.push(`${relative(SRC, file)} (${from}) imports ${spec} (${to})`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('a stage imports no other stage, except the orchestrators (run, sweep) and the HTML helpers', () => {
    const violations = sourceFiles(join(SRC, 'stages')).flatMap((file) => {
      const from = relative(SRC, file);
      return importsOf(file)
        .filter(({ target }) => target.startsWith('stages/') && !stageImportAllowed(from, target))
        .map(({ spec }) => `${from} imports ${spec}: move what they share out of stages/`);
    });
    expect(violations).toEqual([]);
  });

  it('the stage-import rule refuses what it should', () => {
    // Hand-picked cases: retrain borrowing from expand is the pattern this rule removed.
    expect(stageImportAllowed('stages/retrain.ts', 'stages/expand.ts')).toBe(false);
    expect(stageImportAllowed('stages/report.ts', 'stages/retrain.ts')).toBe(false);
    expect(stageImportAllowed('stages/export.ts', 'stages/html-escape.ts')).toBe(false);
    expect(stageImportAllowed('stages/run.ts', 'stages/shrink.ts')).toBe(true);
    expect(stageImportAllowed('stages/sweep-html.ts', 'stages/report-html.ts')).toBe(true);
    expect(stageImportAllowed('stages/report-html.ts', 'stages/report.ts')).toBe(true);
  });

  it('report reads, assembles and renders without loading tfjs (it starts at once; only an older run dir loads its seed, lazily)', () => {
    expect(['cli/main.ts', 'cli/commands/report.ts', 'stages/report-html.ts'].flatMap(tfjsChains)).toEqual([]);
    // The walk does find tfjs where it is loaded.
    expect(tfjsChains('run-state/seed.ts').length).toBeGreaterThan(0);
  });

  it('only cli/ prints or exits', () => {
    const offenders = sourceFiles(SRC)
      .filter((file) => layerOf(file) !== 'cli')
      .filter((file) => /console\.(log|error|warn)|process\.exit/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(SRC, file));
    expect(offenders).toEqual([]);
  });
});

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../config/load.js';
import { MorphnetError } from '../errors.js';
import { RunState } from './run-state.js';

const complete = { status: 'complete', startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:01:00Z' };

/** A run dir with run.json (shrink and expand complete) and the given files; no seed model. */
function runDir(config: unknown, files: Record<string, unknown> = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'morphnet-state-'));
  const manifest = { format: 'morphnet.run/1', tool: { name: 'morphnet', version: '0.0.0' }, createdAt: '', updatedAt: '', config, stages: { shrink: complete, expand: complete } };
  writeFileSync(join(root, 'run.json'), JSON.stringify(manifest));
  for (const [path, value] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), typeof value === 'string' ? value : JSON.stringify(value));
  }
  return root;
}

const CONFIG = resolveConfig({ model: { zoo: 'cnn' }, data: { dataset: 'synthetic' }, shrink: { hardware: 'T4' } });
const STRUCTURE = { format: 'morphnet.structure/1', model: 'zoo:cnn', step: 4, groups: [{ id: 0, layers: ['conv'], original: 8, width: 2, kept: [0, 5] }], widths: { conv: 2 }, cost: { flops: 1, macs: 0.5, params: 1, totalParams: 1, activations: 2 } };

const failure = (work: () => unknown): MorphnetError => {
  try {
    work();
  } catch (error) {
    return error as MorphnetError;
  }
  throw new Error('expected an error');
};

describe('RunState: a run dir opened for reading', () => {
  it('parses run.json\'s config with the schema and resolves its hardware, loading no model', () => {
    const state = RunState.open(runDir(CONFIG), 'expand');
    expect(state.config.shrink.hardware).toBe('T4');
    expect(state.hardware?.name).toBe('T4');
  });

  it('refuses a config that does not validate, naming run.json', () => {
    const error = failure(() => RunState.open(runDir({ ...CONFIG, shrink: { ...CONFIG.shrink, threshold: 'high' } }), 'shrink'));
    expect(error).toBeInstanceOf(MorphnetError);
    expect(error.message).toMatch(/run\.json: its config is not valid: .*shrink\.threshold/s);
  });

  it('refuses a stage that is not complete, with the command that makes it', () => {
    const error = failure(() => RunState.open(runDir(CONFIG), 'retrain'));
    expect(error.message).toContain('has no completed retrain stage');
    expect(error.hint).toContain('morphnet retrain -r');
  });

  it('reads the shrunk structure as written, and checks its form', () => {
    const state = RunState.open(runDir(CONFIG, { 'shrink/structure.json': STRUCTURE }), 'shrink');
    expect(state.shrunkFile().groups[0]).toEqual({ id: 0, layers: ['conv'], original: 8, width: 2, kept: [0, 5] });
    const torn = RunState.open(runDir(CONFIG, { 'shrink/structure.json': '{"format": "morph' }), 'shrink');
    expect(failure(() => torn.shrunkFile()).message).toMatch(/structure\.json is not valid JSON/);
    const fractional = RunState.open(runDir(CONFIG, { 'shrink/structure.json': { ...STRUCTURE, groups: [{ ...STRUCTURE.groups[0], width: 1.5 }] } }), 'shrink');
    const error = failure(() => fractional.shrunkFile());
    expect(error.message).toContain('groups[0] needs an integer width');
    expect(error.hint).toContain('morphnet shrink -c CONFIG');
  });

  it('refuses an expanded structure without its multiplier, with the expand command', () => {
    const state = RunState.open(runDir(CONFIG, { 'expand/structure.json': STRUCTURE }), 'expand');
    const error = failure(() => state.expandedFile());
    expect(error.message).toContain('has no multiplier and target');
    expect(error.hint).toContain('morphnet expand -r');
  });
});

import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigInvalidError, loadConfigFile, resolveConfig } from './load.js';
import { closestKey } from './closest-key.js';
import { parseSiNumber } from './si-number.js';

function writeConfig(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'morphnet-config-')), 'exp.yaml');
  writeFileSync(file, text);
  return file;
}

function problemsOf(fn: () => unknown) {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigInvalidError);
    return (error as ConfigInvalidError).problems;
  }
  throw new Error('expected a ConfigInvalidError');
}

describe('config loading', () => {
  it('fills defaults for everything but the model', () => {
    const config = resolveConfig({ model: { zoo: 'cnn' } });
    expect(config.seed).toBe(1);
    expect(config.shrink.threshold).toBe(0.01);
    expect(config.data.batchSize).toBe(64);
    expect(config.retrain.schedule).toBe('cosine');
  });

  it('reports every problem at once, each with file:line:col, path, received value and expectation', () => {
    const file = writeConfig(['model:', '  zoo: cnn', 'shrink:', '  threshold: 1.5', '  strenght: 3', 'data:', '  batchSize: many', ''].join('\n'));
    const problems = problemsOf(() => loadConfigFile(file));
    expect(problems).toHaveLength(3);
    const byPath = Object.fromEntries(problems.map((p) => [p.path, p]));
    expect(byPath['shrink.threshold'].location).toBe(`${file}:4:14`);
    expect(byPath['shrink.threshold'].message).toContain('received 1.5');
    expect(byPath['shrink.threshold'].message).toContain('< 1');
    expect(byPath['shrink.strenght'].location).toBe(`${file}:5:3`);
    expect(byPath['shrink.strenght'].message).toContain('did you mean "strength"');
    expect(byPath['data.batchSize'].message).toContain('expected number, received "many"');
  });

  it('reports YAML syntax errors with their position', () => {
    const file = writeConfig('model:\n  zoo: [cnn\nseed: 1\n');
    const problems = problemsOf(() => loadConfigFile(file));
    expect(problems[0].location).toMatch(new RegExp(`^${file}:\\d+:\\d+$`));
  });

  it('requires exactly one of model.zoo and model.path', () => {
    const problems = problemsOf(() => resolveConfig({ model: { zoo: 'cnn', path: 'm.json' } }));
    expect(problems[0].path).toBe('model');
  });

  it('lets flags override config keys, and validates the overridden value', () => {
    const config = resolveConfig({ model: { zoo: 'cnn' } }, { 'shrink.strength': 1e-9, 'expand.targetFlops': '300M' });
    expect(config.shrink.strength).toBe(1e-9);
    expect(config.expand.targetFlops).toBe(300_000_000);
    const problems = problemsOf(() => resolveConfig({ model: { zoo: 'cnn' } }, { 'expand.targetFlops': 'lots' }));
    expect(problems[0].path).toBe('expand.targetFlops');
  });
});

describe('helpers', () => {
  it('parses SI numbers', () => {
    expect(parseSiNumber('300M')).toBe(300e6);
    expect(parseSiNumber('1.2G')).toBe(1.2e9);
    expect(parseSiNumber('45k')).toBe(45e3);
    expect(parseSiNumber('2e6')).toBe(2e6);
    expect(parseSiNumber('12 apples')).toBeUndefined();
  });

  it('suggests the closest key only when it is close', () => {
    expect(closestKey('treshold', ['threshold', 'strength'])).toBe('threshold');
    expect(closestKey('zzzzzz', ['threshold', 'strength'])).toBeUndefined();
  });
});

describe('configs/schema.json', () => {
  it('is the JSON Schema of the zod schema (regenerate with npm run schema)', async () => {
    const { readFileSync } = await import('node:fs');
    const { schemaText } = await import('./emit-schema.js');
    expect(readFileSync(join(import.meta.dirname, '../../configs/schema.json'), 'utf8')).toBe(schemaText());
  });

  it('every shipped config is valid', async () => {
    const { readdirSync } = await import('node:fs');
    const dir = join(import.meta.dirname, '../../configs');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) expect(() => loadConfigFile(join(dir, file))).not.toThrow();
  });
});

describe('the shipped configs', () => {
  const dir = join(import.meta.dirname, '../../configs');
  for (const name of readdirSync(dir).filter((file) => file.endsWith('.yaml'))) {
    it(`${name} validates`, () => {
      expect(() => loadConfigFile(join(dir, name))).not.toThrow();
    });
  }
});

describe('model.classes', () => {
  it('takes a positive class count or auto, for a model file or a zoo model', () => {
    expect(resolveConfig({ model: { path: 'tm/model.json', classes: 3 } }).model.classes).toBe(3);
    expect(resolveConfig({ model: { path: 'tm/model.json', classes: 'auto' } }).model.classes).toBe('auto');
    expect(resolveConfig({ model: { zoo: 'cnn', classes: 'auto' } }).model.classes).toBe('auto');
    expect(resolveConfig({ model: { path: 'tm/model.json' } }).model.classes).toBeUndefined();
  });

  it('refuses a class count that is not a positive integer or auto', () => {
    const [problem] = problemsOf(() => resolveConfig({ model: { path: 'tm/model.json', classes: 0 } }));
    expect(problem.path).toBe('model.classes');
    expect(problem.message).toContain('received 0');
  });

  it('refuses model.options with a model file, where they were ignored, pointing at model.classes', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'morphnet-config-')), 'exp.yaml');
    writeFileSync(file, ['model:', '  path: tm/model.json', '  options: {classes: 3}', ''].join('\n'));
    const [problem] = problemsOf(() => loadConfigFile(file));
    expect(problem.path).toBe('model.options');
    // line 3, column 12: the options mapping
    expect(problem.location).toBe(`${file}:3:12`);
    expect(problem.message).toBe(
      'expected no options with model.path (options shape zoo models only; to train a model file for your own classes set model.classes: N, or auto for the data\'s class count), received {"classes":3}',
    );
  });

  it('keeps zoo options, classes among them', () => {
    expect(resolveConfig({ model: { zoo: 'cnn', options: { classes: 3 } } }).model.options).toEqual({ classes: 3 });
  });
});

describe('shrink.goal', () => {
  const shrinkOf = (shrink: Record<string, unknown>) => resolveConfig({ model: { zoo: 'cnn' }, shrink }).shrink;

  it('takes a share of the seed cost or an amount with an SI suffix, and parses its own output again', () => {
    expect(shrinkOf({ goal: '50%' }).goal).toBe('50%');
    expect(shrinkOf({ goal: ' 12.5 % ' }).goal).toBe('12.5%');
    expect(shrinkOf({ goal: '7.5M' }).goal).toBe(7.5e6);
    expect(shrinkOf({ goal: 2e6 }).goal).toBe(2e6);
    const resolved = resolveConfig({ model: { zoo: 'cnn' }, shrink: { goal: '50%' } });
    expect(resolveConfig(resolved)).toEqual(resolved);
    // Without a goal the strength is auto, as before; a goal leaves it unset.
    expect(shrinkOf({}).strength).toBeUndefined();
    expect(shrinkOf({ strength: 3e-8 }).strength).toBe(3e-8);
  });

  it('refuses shares outside (0%, 100%) and amounts that are not positive, naming the key', () => {
    expect(() => shrinkOf({ goal: '150%' })).toThrow(/shrink\.goal: expected a share of the seed's cost between 0% and 100%/);
    expect(() => shrinkOf({ goal: '0%' })).toThrow(/shrink\.goal/);
    expect(() => shrinkOf({ goal: 'half' })).toThrow(/shrink\.goal: expected a share of the seed's cost such as 50%, or a positive amount/);
    expect(() => shrinkOf({ goal: -5 })).toThrow(/shrink\.goal/);
  });

  it('refuses a goal and a strength together, naming both keys (exit code 2)', () => {
    let error: unknown;
    try {
      shrinkOf({ goal: '50%', strength: 3e-8 });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigInvalidError);
    expect((error as ConfigInvalidError).exitCode).toBe(2);
    expect((error as Error).message).toMatch(/shrink: expected either shrink\.goal .* or shrink\.strength .*, not both/);
  });
});

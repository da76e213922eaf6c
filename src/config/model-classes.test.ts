import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigInvalidError, loadConfigFile, resolveConfig } from './load.js';

function problemsOf(fn: () => unknown) {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigInvalidError);
    return (error as ConfigInvalidError).problems;
  }
  throw new Error('expected a ConfigInvalidError');
}

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

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MorphnetError } from '../errors.js';
import { checkTfjsVersions, installedTfjsVersions, PINNED_TFJS_VERSION } from './wasm-internals.js';

describe('the pinned tfjs version', () => {
  it('is the one installed, and the one package.json pins exactly (dependencies and optional ones)', () => {
    expect(Object.values(installedTfjsVersions())).toEqual([PINNED_TFJS_VERSION, PINNED_TFJS_VERSION, PINNED_TFJS_VERSION, PINNED_TFJS_VERSION]);
    const manifest = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8'));
    const tensorflow = Object.entries({ ...manifest.dependencies, ...manifest.optionalDependencies }).filter(([name]) => name.startsWith('@tensorflow/'));
    expect(tensorflow.length).toBe(4);
    for (const [name, range] of tensorflow) expect(range, name).toBe(PINNED_TFJS_VERSION);
    expect(() => checkTfjsVersions()).not.toThrow();
  });

  it('refuses another version at start-up, naming the package, both versions and the fix', () => {
    const installed = { '@tensorflow/tfjs': PINNED_TFJS_VERSION, '@tensorflow/tfjs-backend-wasm': '4.23.1' };
    expect(() => checkTfjsVersions(installed)).toThrow(MorphnetError);
    expect(() => checkTfjsVersions(installed)).toThrow(`@tensorflow/tfjs-backend-wasm 4.23.1 installed, expected ${PINNED_TFJS_VERSION}`);
    try {
      checkTfjsVersions(installed);
    } catch (error) {
      expect((error as MorphnetError).hint).toMatch(/run `npm install` in the morphnet folder to restore the pinned 4\.22\.0/);
    }
  });
});

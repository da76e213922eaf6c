import { describe, expect, it } from 'vitest';
import { MorphnetError } from '../errors.js';
import { wantsJson } from './json-flag.js';

describe('--json, and --format json as its alias', () => {
  it('either one asks for JSON; neither, or --format html, does not', () => {
    expect(wantsJson({ json: true }, 'report')).toBe(true);
    expect(wantsJson({ format: 'json' }, 'report')).toBe(true);
    expect(wantsJson({ json: true, format: 'json' }, 'report')).toBe(true);
    expect(wantsJson({}, 'report')).toBe(false);
    expect(wantsJson({ format: 'table' }, 'cost')).toBe(false);
    expect(wantsJson({ format: 'html' }, 'report')).toBe(false);
    // html writes the file; --json then prints the report as JSON instead of "wrote ...".
    expect(wantsJson({ json: true, format: 'html' }, 'report')).toBe(true);
  });

  it('refuses --json with --format table, which ask for two outputs (exit 2)', () => {
    expect(() => wantsJson({ json: true, format: 'table' }, 'cost')).toThrow(MorphnetError);
    expect(() => wantsJson({ json: true, format: 'table' }, 'cost')).toThrow('morphnet cost: --json and --format "table" ask for two different outputs');
  });
});

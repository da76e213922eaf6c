import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from './load.js';

function writeConfig(text: string): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'table-paths-'));
  mkdirSync(join(dir, 'configs'));
  const path = join(dir, 'configs', 'c.yaml');
  writeFileSync(path, text);
  return { dir, path };
}

describe('hardware: entries with a latency table', () => {
  it('a table path is relative to the config file, made absolute when it is read', () => {
    const { dir, path } = writeConfig('model: {zoo: cnn}\nhardware:\n  wasm-2t: {table: ../latency/wasm-2t.json, backend: wasm, threads: 2}\n  fast: {peakGflops: 100, bandwidthGBps: 10}\n');
    const config = loadConfigFile(path);
    expect(config.hardware['wasm-2t']).toEqual({ table: join(dir, 'latency', 'wasm-2t.json'), backend: 'wasm', threads: 2 });
    expect(config.hardware.fast).toEqual({ peakGflops: 100, bandwidthGBps: 10 });
  });

  it('an entry is a roofline or a table, not both', () => {
    const { path } = writeConfig('model: {zoo: cnn}\nhardware:\n  mixed: {table: t.json, peakGflops: 100}\n');
    expect(() => loadConfigFile(path)).toThrow(/hardware\.mixed: expected either peakGflops and bandwidthGBps \(a roofline\), or table: PATH/);
  });
});

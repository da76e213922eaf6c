import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasStackTrace, runCli, tempDir } from './cli.js';

const CONFIG = `
model: {zoo: cnn, options: {width: 0.25}}
data: {dataset: synthetic, samples: 128, batchSize: 32}
backend: wasm
shrink: {steps: 4}
retrain: {steps: 4}
`;

/** The command a hint prints: `hint: run morphnet shrink -c CONFIG -r DIR (...) first` -> ['shrink', '-c', 'CONFIG', '-r', 'DIR']. */
function hintedCommand(stderr: string): string[] {
  const match = /^hint: run morphnet (.+?)(?: \(.*\))? (?:first|to resume .*)$/m.exec(stderr);
  expect(match, stderr).not.toBeNull();
  return match![1].split(' ');
}

describe('hints name complete commands, which run as printed once the placeholders are filled in', () => {
  it('expand, retrain and report on a run dir never made: shrink -c CONFIG -r DIR; then expand -r DIR --target-flops N', () => {
    const dir = tempDir();
    const config = join(dir, 'exp.yaml');
    writeFileSync(config, CONFIG);
    const runDir = join(dir, 'never-made');

    for (const command of [['expand', '-r', runDir, '--multiplier', '1'], ['retrain', '-r', runDir], ['report', '-r', runDir]]) {
      const refused = runCli(command);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain(`error: ${runDir} is not a morphnet run dir (no run.json)`);
      expect(refused.stderr).toContain(`hint: run morphnet shrink -c CONFIG -r ${runDir} (CONFIG is your experiment config) first`);
      expect(hasStackTrace(refused.stderr)).toBe(false);
    }

    // The hinted shrink, CONFIG filled in, runs.
    const shrink = hintedCommand(runCli(['expand', '-r', runDir, '--multiplier', '1']).stderr).map((word) => (word === 'CONFIG' ? config : word));
    expect(shrink).toEqual(['shrink', '-c', config, '-r', runDir]);
    expect(runCli(shrink).code).toBe(0);

    // retrain now needs expand; the hinted expand, N filled in, runs; then the hinted retrain.
    const retrain = runCli(['retrain', '-r', runDir]);
    expect(retrain.code).toBe(2);
    expect(retrain.stderr).toContain(`hint: run morphnet expand -r ${runDir} --target-flops N (N is the FLOP budget, e.g. 5M) first`);
    const expand = hintedCommand(retrain.stderr).map((word) => (word === 'N' ? '500k' : word));
    expect(expand).toEqual(['expand', '-r', runDir, '--target-flops', '500k']);
    expect(runCli(expand).code).toBe(0);
    expect(runCli(['retrain', '-r', runDir]).code).toBe(0);
  });
});

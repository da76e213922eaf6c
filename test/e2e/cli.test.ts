import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasStackTrace, ROOT, runCli, SHARED_MODELS, tempDir } from './cli.js';

describe('morphnet CLI', () => {
  it('npx morphnet runs the built bin (executable after every build, npm test included)', async () => {
    const { spawnSync } = await import('node:child_process');
    const result = spawnSync('npx', ['--no-install', 'morphnet', '--version'], { cwd: ROOT, encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('--help lists the commands of DESIGN.md', () => {
    const { code, stdout } = runCli(['--help']);
    expect(code).toBe(0);
    for (const command of ['run', 'shrink', 'expand', 'retrain', 'report', 'cost']) expect(stdout).toContain(command);
  });

  it('cost counts MobileNetV1 1.0-224 exactly, as JSON with its conventions', () => {
    const { code, stdout } = runCli(['cost', '-m', 'zoo:mobilenet-v1', '--format', 'json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.totals.macs).toBe(568_740_352);
    expect(report.totals.params).toBe(4_231_976);
    expect(report.conventions.flops).toContain('2 * macs');
    expect(Object.keys(report)).toEqual(expect.arrayContaining(['conventions', 'totals', 'layers', 'groups', 'barriers']));
  });

  it('cost reads a Keras 2 .h5 file directly', () => {
    const { code, stdout } = runCli(['cost', '-m', join(SHARED_MODELS, 'keras-mlp-mnist/model.h5'), '--format', 'json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).totals.macs).toBe(784 * 128 + 128 * 128 + 128 * 10);
  });

  it('cost prints a table for a user model, with groups', () => {
    const { code, stdout } = runCli(['cost', '-m', join(SHARED_MODELS, 'teachable-machine-mobilenetv2/model.json')]);
    expect(code).toBe(0);
    expect(stdout).toContain('block_16_project');
    expect(stdout).toContain('no barriers');
  });

  it('cost --format json counts the Teachable Machine model as Keras does: params once, nested models included', () => {
    const { code, stdout } = runCli(['cost', '-m', join(SHARED_MODELS, 'teachable-machine-mobilenetv2/model.json'), '--format', 'json']);
    expect(code).toBe(0);
    const { totals } = JSON.parse(stdout);
    // Keras's model.summary() of this model: 527,228 trainable, 541,308 in all (the manifest's weights add up to it).
    expect([totals.macs, totals.params, totals.totalParams]).toEqual([58_136_808, 527_228, 541_308]);
  });
});

describe('a model with layers morphnet has no handler for', () => {
  it('still gets a cost table, names the barriers, exits 0', async () => {
    const tf = await import('@tensorflow/tfjs');
    const { saveModel } = await import('../../src/model/load.js');
    const x = tf.input({ shape: [16, 4] });
    let h = tf.layers.conv1d({ name: 'conv1d', filters: 8, kernelSize: 3 }).apply(x) as import('@tensorflow/tfjs').SymbolicTensor;
    h = tf.layers.lstm({ name: 'lstm', units: 6 }).apply(h) as import('@tensorflow/tfjs').SymbolicTensor;
    const model = tf.model({ inputs: x, outputs: tf.layers.dense({ name: 'out', units: 2 }).apply(h) as import('@tensorflow/tfjs').SymbolicTensor });
    const dir = tempDir();
    await saveModel(model, dir);
    const { code, stdout } = runCli(['cost', '-m', join(dir, 'model.json')]);
    expect(code).toBe(0);
    expect(stdout).toContain('2 barriers (kept at full width):');
    expect(stdout).toContain('conv1d (Conv1D): no handler for layer class Conv1D');
    expect(stdout).toContain('lstm (LSTM)');
  });
});

describe('bad input as a new user gives it: exit 2, the problem and the fix, no stack trace, no run dir', () => {
  const expectUsageError = (result: ReturnType<typeof runCli>, ...fragments: string[]) => {
    expect(result.code).toBe(2);
    for (const fragment of fragments) expect(result.stderr).toContain(fragment);
    expect(result.stderr).toContain('hint:');
    expect(hasStackTrace(result.stderr)).toBe(false);
  };

  it('a missing config file', () => {
    expectUsageError(runCli(['shrink', '-c', 'no-such.yaml']), 'cannot read config file no-such.yaml');
  });

  it('a YAML syntax error, with its line', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'bad.yaml'), 'model:\n  zoo: [cnn\n');
    const result = runCli(['shrink', '-c', join(dir, 'bad.yaml'), '-r', join(dir, 'run')]);
    expectUsageError(result, `${join(dir, 'bad.yaml')}:`);
    expect(existsSync(join(dir, 'run'))).toBe(false);
  });

  it('an unknown key and a wrong type, both reported at once', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'bad.yaml'), 'model:\n  zoo: cnn\nshrink:\n  treshold: 0.1\n  epochs: three\n');
    const result = runCli(['shrink', '-c', join(dir, 'bad.yaml'), '-r', join(dir, 'run')]);
    expectUsageError(result, 'shrink.treshold: unknown key; did you mean "threshold"', 'shrink.epochs: expected number, received "three"', 'bad.yaml:4:3');
    expect(existsSync(join(dir, 'run'))).toBe(false);
  });

  it('a model.json whose weight shard is missing', () => {
    const dir = tempDir();
    cpSync(join(SHARED_MODELS, 'keras-mlp-mnist/model.json'), join(dir, 'model.json'));
    expectUsageError(runCli(['cost', '-m', join(dir, 'model.json')]), 'group1-shard1of1.bin', 'missing');
  });

  it('data whose shape does not fit the model', () => {
    const dir = tempDir();
    const result = runCli(['shrink', '-m', 'zoo:cnn?inputShape=32,32,3', '-r', join(dir, 'run'), '--steps', '1']);
    expectUsageError(result, 'do not fit the model input [32,32,3]');
    expect(existsSync(join(dir, 'run'))).toBe(false);
  });

  it('an unknown flag value', () => {
    expect(runCli(['cost', '-m', 'zoo:cnn', '--format', 'xml']).code).toBe(2);
    expectUsageError(runCli(['cost', '-m', 'zoo:cnn', '--input-shape', 'big']), '--input-shape');
  });

  it('a model without BatchNormalization cannot use the gamma regularizer, and is told the alternative', () => {
    const dir = tempDir();
    const model = JSON.parse(readFileSync(join(SHARED_MODELS, 'keras-mlp-mnist/model.json'), 'utf8'));
    cpSync(join(SHARED_MODELS, 'keras-mlp-mnist/group1-shard1of1.bin'), join(dir, 'group1-shard1of1.bin'));
    writeFileSync(join(dir, 'model.json'), JSON.stringify(model));
    const result = runCli(['shrink', '-m', join(dir, 'model.json'), '-r', join(dir, 'run'), '--steps', '1']);
    expectUsageError(result, 'shrink.regularizer: gamma finds nothing to regularize', 'group-lasso');
    expect(existsSync(join(dir, 'run'))).toBe(false);
    rmSync(dir, { recursive: true });
  });
});

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initBackend } from './select.js';

const DIST = join(import.meta.dirname, '../../dist/src');

/** A conv-BN-ReLU forward pass and the gradients of its loss with respect to input and filter. */
function convGradients(): Float32Array[] {
  return tf.tidy(() => {
    // 9 input channels: the filter gradient's kernel gives its 3 channel tiles to 2 threads.
    const x = tf.randomUniform([5, 9, 11, 9], -1, 1, 'float32', 1);
    const filter = tf.randomUniform([3, 3, 9, 7], -1, 1, 'float32', 2);
    const loss = (input: tf.Tensor, kernel: tf.Tensor) => {
      const y = tf.conv2d(input as tf.Tensor4D, kernel as tf.Tensor4D, 2, 'same');
      const { mean, variance } = tf.moments(y, [0, 1, 2]);
      return tf.relu(tf.batchNorm(y, mean, variance, tf.fill([7], 0.1), tf.fill([7], 1.5), 1e-3)).square().sum();
    };
    const [dx, dFilter] = tf.grads(loss)([x, filter]);
    return [loss(x, filter), dx, dFilter].map((t) => t.dataSync() as Float32Array);
  });
}

describe('the wasm backend with a thread pool under Node', () => {
  it('runs 2 threads on this machine and computes what 1 thread computes, bit for bit', async () => {
    const one = await initBackend('wasm', 1);
    expect(one.threads).toBe(1);
    const single = convGradients();
    const two = await initBackend('wasm', 2);
    // Not capped at half the cores: the library would give 1 thread on a 2-core machine.
    expect(two.threads).toBe(2);
    const pooled = convGradients();
    pooled.forEach((values, i) => expect(Array.from(values)).toEqual(Array.from(single[i])));
  });

  it('a process that trained with threads exits by itself: no worker keeps it alive, no handler rethrows', () => {
    const script = `import * as tf from '@tensorflow/tfjs';
       import { initBackend } from ${JSON.stringify(join(DIST, 'backend/select.js'))};
       import { buildZooModel } from ${JSON.stringify(join(DIST, 'model/zoo/registry.js'))};
       import { createOptimizer } from ${JSON.stringify(join(DIST, 'train/optimizer.js'))};
       import { trainStep } from ${JSON.stringify(join(DIST, 'train/train-step.js'))};
       const choice = await initBackend('wasm', 2);
       const model = buildZooModel('cnn');
       const x = tf.randomUniform([8, 28, 28, 1]);
       const labels = tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7], 'int32');
       trainStep(model, createOptimizer({ name: 'sgd', learningRate: 0.1 }), x, labels, { numClasses: 10, outputKind: 'probabilities' });
       console.log('threads', choice.threads, 'rethrowing handlers', process.listeners('uncaughtException').length + process.listeners('unhandledRejection').length);`;
    // Evaluated from the project directory, so it resolves @tensorflow/tfjs from node_modules.
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: join(import.meta.dirname, '../..'), encoding: 'utf8', timeout: 60_000 });
    expect(result.signal, 'the process had to be killed: something kept it alive').toBeNull();
    expect(result.status, result.stderr).toBe(0);
    // Emscripten's rethrowing process handlers are taken off (an error would print the whole module).
    expect(result.stdout.trim()).toBe('threads 2 rethrowing handlers 0');
  });
});

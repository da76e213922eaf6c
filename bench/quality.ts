import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FASHION_MNIST_DIR } from './bn-statistics.js';

const ROOT = join(import.meta.dirname, '../..');
export const QUALITY_CONFIG = join(ROOT, 'configs/fashion-mnist-sweep.yaml');

/**
 * The fixed sweep behind README's quality table: `morphnet sweep configs/fashion-mnist-sweep.yaml`
 * (zoo:cnn on Fashion-MNIST; morphnet, uniform and seed arms at 25% and 50% of the seed's FLOPs;
 * 3 seeds) through the built CLI, as a user runs it. The sweep dir is kept, so a re-run resumes
 * and prints the same table at once. Returns the wall time and sweep.json.
 */
export function benchQuality(sweepDir: string, printTable = true): { seconds: number; sweep: unknown } {
  if (!existsSync(FASHION_MNIST_DIR)) {
    throw new Error(`${FASHION_MNIST_DIR} is missing: apt-get install dataset-fashion-mnist`);
  }
  const started = performance.now();
  const result = spawnSync(process.execPath, [join(ROOT, 'dist/src/cli/main.js'), 'sweep', QUALITY_CONFIG, '-r', sweepDir], { stdio: printTable ? 'inherit' : ['ignore', 'ignore', 'inherit'] });
  if (result.status !== 0) throw new Error(`morphnet sweep exited ${result.status}`);
  return { seconds: (performance.now() - started) / 1000, sweep: JSON.parse(readFileSync(join(sweepDir, 'sweep.json'), 'utf8')) };
}

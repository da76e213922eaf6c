import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, hasStackTrace, runCliAsync, tempDir } from './cli.js';

/**
 * Steps of each goal-seeking shrink (the shipped run takes 1,410): lambda is updated every 10
 * steps until the hold from step floor(0.75 * 150) = 112 on, 11 updates of at most x1.1 each,
 * and the path reaches the goal at step 75. Measured (seed 1, wasm): at 150 steps the FLOPs end
 * at 67.0% and the size at 66.3% of the seed; at 120 steps at 75.2% and 84.7%, too close to the
 * 90% asked below; at 300 steps (this test until now) the runs took twice as long.
 */
const GOAL_STEPS = 150;

/**
 * configs/mnist-cnn.yaml with shrink.goal in place of its strength, for a target, shortened to
 * GOAL_STEPS steps (the shipped 1,410-step run is the README's measured figure; two of them made
 * this test the suite's longest by far).
 */
function goalConfig(dir: string, target: 'flops' | 'size'): string {
  const shipped = readFileSync(join(ROOT, 'configs/mnist-cnn.yaml'), 'utf8');
  const text = shipped
    .replace(/^ {2}strength: .*$/m, '  goal: 50%')
    .replace(/^ {2}target: flops.*$/m, `  target: ${target}`)
    .replace(/^ {2}epochs: 6$/m, `  steps: ${GOAL_STEPS}`);
  expect(text).toContain('  goal: 50%');
  expect(text).toContain(`  steps: ${GOAL_STEPS}`);
  const file = join(dir, `goal-${target}.yaml`);
  writeFileSync(file, text);
  return file;
}

/** metrics.jsonl's step lines. */
const stepLines = (runDir: string) =>
  readFileSync(join(runDir, 'shrink/metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line))
    .filter((record) => record.loss !== undefined);

// The tests are independent (each its own temp dir): the refusal runs beside the two shrinks.
describe.concurrent(`shrink.goal: lambda steered toward 50% of the seed cost on configs/mnist-cnn.yaml (${GOAL_STEPS} steps)`, () => {
  it('steers the FLOPs and the size cost down without any strength given; lambda per step in metrics.jsonl, held over the last 25%', async () => {
    const dir = tempDir();
    const targets = ['flops', 'size'] as const;
    const results = await Promise.all(targets.map((target) => runCliAsync(['shrink', '-c', goalConfig(dir, target), '-r', join(dir, target), '--json'])));
    targets.forEach((target, i) => {
      expect(results[i].code, results[i].stderr).toBe(0);
      const summary = JSON.parse(results[i].stdout);
      expect(summary.goal).toEqual({ text: '50%', cost: summary.initialCost / 2 });
      const cost = target === 'flops' ? summary.structure.cost.flops : summary.structure.cost.params;
      expect(cost).toBe(summary.finalCost);
      // Steered down from the seed (GOAL_STEPS steps are too few to settle within 5% of the goal; see the todos).
      expect(cost / summary.initialCost, `${cost} of the seed's ${summary.initialCost}`).toBeLessThan(0.9);

      const lambdas = stepLines(join(dir, target)).map((record) => record.lambda as number);
      expect(lambdas.length).toBe(summary.steps);
      expect(lambdas.every((lambda) => lambda > 0)).toBe(true);
      expect(new Set(lambdas).size).toBeGreaterThan(1); // steered
      // Held from 75% of the steps on; the summary reports the lambda of the last step.
      expect(new Set(lambdas.slice(Math.floor(0.75 * summary.steps))).size).toBe(1);
      expect(summary.strength).toBe(lambdas.at(-1));
    });
  }, 900_000);

  // Measured on the shipped config's 1,410 steps, one run each: steering on the alive cost, the
  // size goal ended 16% under (lambda, raised while the cost lagged above the path, killed a burst
  // of channels that never came back) and the FLOPs goal +1.9% over; steering on the cost with weak
  // channels counted in part (goal-steering.ts), size -3.5% and FLOPs +6.9%. Both within 5% is
  // not reached yet, and runs short enough for the suite miss by more (channels flicker across
  // the threshold), so these stay todo.
  it.todo('ends within 5% of a size goal');
  it.todo('ends within 5% of a FLOPs goal on a run short enough for the suite');

  it('refuses a goal together with a strength, naming both keys, with exit code 2', async () => {
    const dir = tempDir();
    const result = await runCliAsync(['shrink', '-c', goalConfig(dir, 'flops'), '-r', join(dir, 'run'), '--strength', '3e-8']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/shrink: expected either shrink\.goal .* or shrink\.strength .*, not both/);
    expect(hasStackTrace(result.stderr)).toBe(false);
  });
});

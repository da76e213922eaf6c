import { benchReferenceEpochs, type ShrinkCurve } from './epochs.js';
import { benchReferenceSteps } from './steps.js';
import type { Differences } from './step-comparison.js';

function optionOf(args: string[], name: string): string | undefined {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : undefined;
}

const megaFlops = (flops: number) => `${(flops / 1e6).toFixed(2)}M`;

function curveRow(curve: ShrinkCurve, ours: ShrinkCurve): string {
  const name = `${curve.name}${curve.seed !== undefined ? ` (seed ${curve.seed})` : ''}`.padEnd(48);
  const points = curve.flops.map((f, i) => `${megaFlops(f).padStart(7)} ${`${((100 * f) / ours.flops[i]).toFixed(0)}%`.padStart(5)}`).join('  ');
  return `  ${name} ${points}   alive ${Object.values(curve.alive).join('/')}`;
}

function differenceRow(label: string, d: Differences): string {
  const pct = (w: { relative: number; step: number }) => `${w.relative.toExponential(1)} (step ${w.step})`;
  return `  ${label.padEnd(26)} task loss ${pct(d.taskLoss)}, lambda*R ${pct(d.regLoss)}, gamma ${pct(d.gamma)}, alive differs at ${d.aliveMismatches.length} steps`;
}

/**
 * npm run bench -- reference [--config configs/fashion-mnist-cnn.yaml] [--train 6000] [--epochs 3] [--seeds 1,2,3]
 *   [--strength LAMBDA] [--backend wasm] [--processes 4]
 * npm run bench -- reference --steps      (the test's step-by-step comparison against a float64 yardstick)
 * Needs /usr/bin/python3 with torch (python3-torch); the epochs need Debian's dataset-fashion-mnist.
 */
export async function runReferenceBench(json: boolean, args: string[]): Promise<void> {
  if (args.includes('--steps')) {
    const drifts = await benchReferenceSteps();
    if (json) return void process.stdout.write(`${JSON.stringify(drifts)}\n`);
    console.log('largest relative difference over 50 steps (gamma: relative to its layer\'s largest |gamma|)');
    for (const drift of drifts) {
      console.log(drift.regime);
      console.log(differenceRow('ours vs PyTorch float32', drift.oursVsTorch));
      console.log(differenceRow('ours vs PyTorch float64', drift.oursVsFloat64));
      console.log(differenceRow('PyTorch float32 vs float64', drift.torchVsFloat64));
    }
    return;
  }
  const result = await benchReferenceEpochs({
    configPath: optionOf(args, '--config') ?? 'configs/fashion-mnist-cnn.yaml',
    limit: Number(optionOf(args, '--train') ?? 6000),
    epochs: Number(optionOf(args, '--epochs') ?? 3),
    seeds: (optionOf(args, '--seeds') ?? '1,2,3').split(',').map(Number),
    strength: optionOf(args, '--strength') ? Number(optionOf(args, '--strength')) : undefined,
    backend: optionOf(args, '--backend') ?? 'wasm',
    processes: Number(optionOf(args, '--processes') ?? 4),
  });
  if (json) return void process.stdout.write(`${JSON.stringify(result)}\n`);
  console.log(
    `${result.config} on ${result.train} training samples, batch ${result.batchSize}, lambda ${result.lambda}, threshold ${result.threshold}, momentum SGD lr ${result.learningRate}: ` +
      `alive FLOPs at the seed and after each epoch (% of ours), alive channels conv1/conv2/conv3 at the end`,
  );
  console.log(curveRow(result.ours, result.ours));
  for (const curve of result.reference) console.log(curveRow(curve, result.ours));
  console.log(`(ours ${result.oursSeconds.toFixed(0)} s on tfjs, the reference variants ${result.referenceSeconds.toFixed(0)} s on PyTorch, at the same time on a shared CPU)`);
}

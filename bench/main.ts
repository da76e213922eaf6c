import { benchBatchNormStatistics } from './bn-statistics.js';
import { benchCost } from './cost.js';
import { benchLatency, DEFAULT_LATENCY_BENCH, LATENCY_BENCH_MODELS, type LatencyTableBenchOptions, printLatencyBench } from './latency.js';
import { benchLatencyTarget, printLatencyTargetBench } from './latency-target.js';
import type { PairedProtocol } from '../src/latency/timing.js';
import { benchImageFolderMemory } from './image-folder-memory.js';
import { profileTrainStep } from './kernel-profile.js';
import { benchMomentumUpdate, printMomentumBench } from './momentum-update.js';
import { benchQuality } from './quality.js';
import { benchRegularizer } from './regularizer.js';
import { runReferenceBench } from './reference/bench.js';
import type { BackendRequest } from '../src/backend/select.js';
import { positiveIntegerFlag } from '../src/cli/integer-flag.js';
import { benchTrainStep, type Spread } from './train-step.js';

/**
 * Benchmarks, run with `npm run bench -- <name> [--json]`. Each reports ratios against a
 * baseline measured in the same process. Never part of `npm test`.
 */
function optionOf(args: string[]) {
  return (name: string) => {
    const index = args.indexOf(name);
    return index >= 0 ? args[index + 1] : undefined;
  };
}

/** The table-measuring options both latency benches read: --models --backend --threads --batch --widths --repeats. */
function latencyTableOptions(option: (flag: string) => string | undefined): LatencyTableBenchOptions {
  const d = DEFAULT_LATENCY_BENCH;
  return {
    models: option('--models')?.split(',') ?? LATENCY_BENCH_MODELS,
    backend: (option('--backend') ?? d.backend) as BackendRequest,
    threads: Number(option('--threads') ?? d.threads),
    batch: Number(option('--batch') ?? d.batch),
    widthSamples: Number(option('--widths') ?? d.widthSamples),
    protocol: { ...d.protocol, repeats: Number(option('--repeats') ?? d.protocol.repeats) },
  };
}

/** How both latency benches time a structure against the seed: --pairs. */
const pairedOption = (option: (flag: string) => string | undefined): PairedProtocol => ({ ...DEFAULT_LATENCY_BENCH.paired, pairs: Number(option('--pairs') ?? DEFAULT_LATENCY_BENCH.paired.pairs) });

const BENCHES: Record<string, (json: boolean, args: string[]) => Promise<void>> = {
  // npm run bench -- bn-statistics [--epochs 2] [--train 20000] [--bn-momentum 0.99] [--seeds 1,2,3]
  // (needs Debian's dataset-fashion-mnist)
  'bn-statistics': async (json, args) => {
    const option = optionOf(args);
    const seeds = (option('--seeds') ?? '1').split(',').map(Number);
    for (const seed of seeds) {
      const result = await benchBatchNormStatistics({
        epochs: Number(option('--epochs') ?? 2),
        trainLimit: option('--train') ? Number(option('--train')) : undefined,
        bnMomentum: Number(option('--bn-momentum') ?? 0.99),
        seed,
        learningRate: Number(option('--lr') ?? 0.05),
        batchSize: Number(option('--batch') ?? 64),
      });
      if (json) {
        process.stdout.write(`${JSON.stringify(result)}\n`);
        continue;
      }
      const a = result.accuracy;
      const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
      console.log(
        `seed ${seed}, ${result.steps} steps (${result.trainSeconds.toFixed(0)} s), BN momentum ${result.options.bnMomentum}: test accuracy with moving averages as trained ${pct(a.asTrained)}, ` +
          `+30 training batches ${pct(a.ema30)}, +600 training batches (tfjs) ${pct(a.ema600)}, exact statistics of 4096 samples ${pct(a.exact)} (${result.exactSeconds.toFixed(1)} s), ` +
          `test batches' own statistics ${pct(a.testBatchStatistics)}; largest moving-mean lag per BN layer (in std) ${result.meanLagInStd.map((v) => v.toFixed(3)).join(', ')}`,
      );
    }
  },
  cost: async (json) => {
    const result = await benchCost(5);
    if (json) return void process.stdout.write(`${JSON.stringify(result)}\n`);
    console.log(`cost of a ${result.layers}-layer model: ${result.countMs.toFixed(1)} ms per count, ${result.ratio.toFixed(2)}x the ${result.buildMs.toFixed(1)} ms it takes tfjs to build the model (mean of ${result.repeats})`);
  },
  // npm run bench -- image-folder-memory [--images 20000] [--steps 20] [--batch 32] [--model mobilenet-v2] [--validation 0.02] [--bn-samples 512] [--dir /tmp/morphnet-image-folder-memory]
  'image-folder-memory': async (json, args) => {
    const option = optionOf(args);
    const result = benchImageFolderMemory({
      images: Number(option('--images') ?? 20_000),
      classes: 10,
      steps: Number(option('--steps') ?? 20),
      batchSize: Number(option('--batch') ?? 32),
      model: option('--model') ?? 'mobilenet-v2',
      validationSplit: Number(option('--validation') ?? 0.02),
      batchNormSamples: Number(option('--bn-samples') ?? 512),
      dir: option('--dir') ?? '/tmp/morphnet-image-folder-memory',
    });
    if (json) return void process.stdout.write(`${JSON.stringify(result)}\n`);
    const o = result.options;
    console.log(
      `shrink of zoo:${o.model} (width 0.35, 224x224x3) over ${result.images} images, ${o.steps} steps of ${o.batchSize}, validation ${o.validationSplit}, BN statistics over ${o.batchNormSamples}: ` +
        `peak RSS ${(result.peakRssBytes / 1024 ** 3).toFixed(2)} GB, ${result.seconds.toFixed(0)} s, exit ${result.exitCode}`,
    );
  },
  // npm run bench -- reference [--train 6000] [--epochs 3] [--seeds 1,2,3] [--strength L] | --steps: this project against the PyTorch reference (see bench/reference/bench.ts)
  reference: runReferenceBench,
  regularizer: async (json) => {
    const result = await benchRegularizer(10, 6);
    if (json) return void process.stdout.write(`${JSON.stringify(result)}\n`);
    console.log(`zoo:cnn on mnist, batch 64, ${result.steps} steps each, alternating: ${result.msPerStepWithout.toFixed(1)} ms/step without the regularizer, ${result.msPerStepWith.toFixed(1)} with it: ratio ${result.ratio.toFixed(3)}`);
  },
  // npm run bench -- train-step [--models cnn,'mobilenet-v2?width=0.35&inputShape=96,96,3&classes=10'] [--backends wasm]
  //   [--threads 2] [--blocks 5] [--steps-scale 1]: interleaved blocks of ours and PyTorch's steps
  'train-step': async (json, args) => {
    const option = optionOf(args);
    const backends = (option('--backends') ?? 'tensorflow,wasm').split(',') as BackendRequest[];
    // Commas also separate inputShape's numbers: a new model starts at a comma before a letter.
    const models = option('--models')?.split(/,(?=[a-z])/i);
    const threads = option('--threads')?.split(',').map(Number);
    const result = await benchTrainStep({ backends, stepsScale: Number(option('--steps-scale') ?? 1), blocks: Number(option('--blocks') ?? 5), models, threads });
    if (json) return void process.stdout.write(`${JSON.stringify(result)}\n`);
    console.log('train step: ms per step, median [min-max] of interleaved blocks (ours, PyTorch, ours, ...), each after one warm-up step;');
    console.log('ratio = our median / PyTorch median, [range of the per-block ratios]; same CPU, threads and batch');
    const spread = (s: Spread) => `${s.median.toFixed(1).padStart(8)} [${s.min.toFixed(0)}-${s.max.toFixed(0)}]`;
    for (const c of result.cases) {
      const torch = c.torchMs ? `  torch ${spread(c.torchMs)}  ratio ${c.ratio!.toFixed(2)}x [${c.ratioRange!.map((r) => r.toFixed(2)).join('-')}]` : '';
      console.log(`  ${c.model.padEnd(56)} ${c.backend.padEnd(10)} threads ${c.threads}  batch ${String(c.batch).padStart(3)}  ${spread(c.ms)}${torch}  (${c.blocks} x ${c.stepsPerBlock} steps)`);
    }
    if (!result.cases.some((c) => c.torchMs)) console.log('  (no PyTorch figures: /usr/bin/python3 has no torch; apt-get install python3-torch)');
  },
  // npm run bench -- latency [--models cnn,resnet20,mobilenet-v2?width=0.35] [--backend wasm] [--threads 2] [--batch 1] [--widths 5] [--repeats 9] [--out bench-latency] [--no-alone] [--pairs 31]
  latency: async (json, args) => {
    const option = optionOf(args);
    const result = await benchLatency({
      ...latencyTableOptions(option),
      outDir: option('--out') ?? 'bench-latency',
      alone: !args.includes('--no-alone'),
      paired: pairedOption(option),
    });
    if (json) return void process.stdout.write(`${JSON.stringify(result)}\n`);
    printLatencyBench(result);
  },
  // npm run bench -- latency-target [--models cnn,resnet20,mobilenet-v2?width=0.35] [--backend wasm] [--threads 2] [--batch 1] [--widths 5] [--repeats 9]
  //   [--pairs 31] [--out DIR] [--round-to N]: expand --target-latency [--round-to N] (by default expand's rounding) to 50% and 75% of the seed's predicted latency, measured in pairs with the seed
  'latency-target': async (json, args) => {
    const option = optionOf(args);
    const result = await benchLatencyTarget({
      ...latencyTableOptions(option),
      paired: pairedOption(option),
      outDir: option('--out'),
      roundTo: args.includes('--round-to') ? positiveIntegerFlag('--round-to', option('--round-to'), '8', 'a positive whole number of channels') : undefined,
    });
    if (json) return void process.stdout.write(`${JSON.stringify(result)}\n`);
    printLatencyTargetBench(result);
  },
  // npm run bench -- momentum [--models cnn,mobilenet-v2] [--threads 2] [--blocks 9]: training steps and updates with
  //   tfjs's MomentumOptimizer against FusedMomentumOptimizer on wasm, interleaved blocks
  momentum: async (json, args) => {
    const option = optionOf(args);
    const threads = option('--threads');
    const result = await benchMomentumUpdate({ threads: threads ? Number(threads) : undefined, blocks: Number(option('--blocks') ?? 9), models: option('--models')?.split(',') });
    if (json) return void process.stdout.write(`${JSON.stringify(result)}\n`);
    printMomentumBench(result);
  },
  // npm run bench -- quality [--dir sweeps/quality]: the sweep of README's quality table (needs dataset-fashion-mnist)
  quality: async (json, args) => {
    const result = benchQuality(optionOf(args)('--dir') ?? 'sweeps/quality', !json);
    if (json) return void process.stdout.write(`${JSON.stringify(result)}\n`);
    console.log(`sweep of configs/fashion-mnist-sweep.yaml: ${(result.seconds / 60).toFixed(1)} minutes (a finished sweep dir prints at once)`);
  },
  // npm run bench -- profile [--model cnn | --model 'mobilenet-v2?width=0.35&inputShape=96,96,3&classes=10'] [--batch 64] [--backend wasm] [--threads N] [--steps 10] [--shapes] [--top 15]
  profile: async (json, args) => {
    const option = optionOf(args);
    const result = await profileTrainStep({
      backend: (option('--backend') ?? 'wasm') as BackendRequest,
      model: option('--model') ?? 'cnn',
      batch: Number(option('--batch') ?? 64),
      threads: option('--threads') ? Number(option('--threads')) : undefined,
      steps: Number(option('--steps') ?? 10),
      shapes: args.includes('--shapes'),
    });
    if (json) return void process.stdout.write(`${JSON.stringify(result)}\n`);
    console.log(`${result.model} batch ${result.batch} on ${result.backend} (${result.threads} threads): ${result.msPerStep.toFixed(1)} ms a step over ${result.steps} steps`);
    console.log('(a kernel made of other kernels counts their time too)');
    for (const k of result.kernels.slice(0, Number(option('--top') ?? 15))) {
      console.log(`  ${k.kernel.padEnd(60)} ${k.msPerStep.toFixed(1).padStart(8)} ms  ${(100 * k.share).toFixed(1).padStart(5)}%  ${String(Math.round(k.callsPerStep)).padStart(4)} calls`);
    }
  },
};

async function main() {
  const [name, ...rest] = process.argv.slice(2);
  const bench = BENCHES[name];
  if (!bench) {
    console.error(`usage: npm run bench -- <${Object.keys(BENCHES).join('|')}> [--json]`);
    process.exit(2);
  }
  await bench(rest.includes('--json'), rest);
  process.exit(0);
}

void main();

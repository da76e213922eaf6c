import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import * as tf from '@tensorflow/tfjs';
import { defaultThreads, initBackend, type BackendRequest } from '../src/backend/select.js';
import { buildZooModel, parseZooSpec } from '../src/model/zoo/registry.js';
import { outputKind } from '../src/train/loss.js';
import { createOptimizer } from '../src/train/optimizer.js';
import { trainStep } from '../src/train/train-step.js';

/** Median and extremes of per-block ms per step. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

export interface TrainStepCase {
  model: string;
  backend: string;
  threads: number;
  batch: number;
  blocks: number;
  stepsPerBlock: number;
  ms: Spread;
  torchMs?: Spread;
  /** ms.median / torchMs.median: how many times slower than PyTorch on the same CPU. */
  ratio?: number;
  /** The extremes of the per-block ratios (block k of ours over block k of PyTorch's). */
  ratioRange?: [number, number];
  /** How the PyTorch side ran, as its process reported it. */
  torchBaseline?: TorchBaseline;
}

/** The configuration a PyTorch process reports in its {"ready": ...} line (bench/torch_train_step.py). */
export interface TorchBaseline {
  torch: string;
  /** Where the model definition came from: torchvision, its copy, or local. */
  source: string;
  /** torch.get_num_threads(): its intra-op (OpenMP) threads, the only threads doing work. */
  threads: number;
  ompWaitPolicy: string;
  /** The BLAS library loaded, with its own threading report. */
  blas: string;
  /** Whether oneDNN (mkldnn) is compiled in and enabled. */
  mkldnn: boolean;
  /** The backends torch picked for the model's convolutions, e.g. ["Mkldnn"]. */
  convolutions: string[];
}

/** One line saying what the PyTorch baseline was. */
export function describeTorchBaseline(b: TorchBaseline): string {
  return `PyTorch ${b.torch} baseline: ${b.threads} threads (OpenMP, OMP_WAIT_POLICY=${b.ompWaitPolicy}), oneDNN ${b.mkldnn ? 'on' : 'off'}, convolutions ${b.convolutions.join('+')}, BLAS ${b.blas}`;
}

/**
 * The bench's models at the batch sizes, with how many steps a timed block takes:
 * the MNIST CNN, the small ResNet, and MobileNetV2 at width 0.35 (Teachable Machine's) on
 * 96x96 and 224x224 pictures.
 */
export const BENCH_MODELS = [
  { model: 'cnn', batch: 64, stepsPerBlock: 10 },
  { model: 'resnet-small', batch: 128, stepsPerBlock: 3 },
  { model: 'mobilenet-v2?width=0.35&inputShape=96,96,3&classes=10', batch: 32, stepsPerBlock: 5 },
  { model: 'mobilenet-v2?width=0.35&inputShape=224,224,3&classes=10', batch: 32, stepsPerBlock: 2 },
];

/** A zoo model from a spec such as `mobilenet-v2?width=0.35&inputShape=96,96,3&classes=10` (`zoo:` optional). */
export function buildBenchModel(spec: string): tf.LayersModel {
  const { name, options } = parseZooSpec(spec);
  return buildZooModel(name, options);
}

const PYTHON = '/usr/bin/python3';
const TORCH_SCRIPT = join(import.meta.dirname, '../../bench/torch_train_step.py');
const LIB_DIR = '/usr/lib/x86_64-linux-gnu';

/**
 * The environment for a PyTorch process on `threads` threads and no more. Convolutions run in
 * oneDNN, so BLAS only serves the dense layers; OpenBLAS's OpenMP build (libopenblas0-openmp) is
 * preferred, its threads being torch's own OpenMP threads; its pthreads build is held to 1 thread
 * so it adds none; without either, the process takes whatever libblas.so.3 Debian's alternatives
 * give and reports it.
 */
function torchEnv(threads: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    OMP_NUM_THREADS: String(threads),
    // Passive OpenMP waits: an idle PyTorch process between its blocks must not spin on the
    // cores our blocks run on; and on 2 shared cores spinning slowed PyTorch itself too
    // (zoo:cnn batch 64, 2 threads, load average 4.4: medians 127 ms passive, 223 ms with
    // GOMP_SPINCOUNT=30000, 553 ms at libgomp's default 300000).
    OMP_WAIT_POLICY: 'PASSIVE',
    GOMP_SPINCOUNT: '0',
  };
  const openblas = ['openblas-openmp', 'openblas-pthread'].find((build) => existsSync(join(LIB_DIR, build, 'libblas.so.3')));
  if (openblas) env.LD_LIBRARY_PATH = [join(LIB_DIR, openblas), process.env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  if (openblas === 'openblas-pthread') env.OPENBLAS_NUM_THREADS = '1';
  return env;
}

/** Whether Debian's python3 has torch (package python3-torch). */
export function torchAvailable(): boolean {
  return existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

/** A PyTorch process holding the same model, batch and threads, timing blocks of steps on request. */
class TorchSteps {
  private readonly lines: AsyncIterator<string>;
  baseline!: TorchBaseline;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    this.lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  }

  /** Starts the process; resolves after its warm-up step. */
  static async start(model: string, batch: number, threads: number): Promise<TorchSteps> {
    const child = spawn(PYTHON, [TORCH_SCRIPT, model, String(batch), String(threads)], { env: torchEnv(threads) });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const torch = new TorchSteps(child);
    torch.baseline = await torch.next<TorchBaseline>(() => stderr);
    return torch;
  }

  /** ms per step over a block of `steps` steps. */
  async block(steps: number): Promise<number> {
    this.child.stdin.write(`${steps}\n`);
    return (await this.next<{ msPerStep: number }>(() => '')).msPerStep;
  }

  stop(): void {
    this.child.stdin.end();
  }

  private async next<Line>(stderr: () => string): Promise<Line> {
    const { value, done } = await this.lines.next();
    if (done) throw new Error(`PyTorch bench failed: ${stderr()}`);
    return JSON.parse(value);
  }
}

/** A model, optimizer and batch ready to step; `block` times `steps` steps. */
function ourSteps(model: string, batch: number) {
  const network = buildBenchModel(model);
  const optimizer = createOptimizer({ name: 'momentum', learningRate: 0.01, momentum: 0.9 });
  const inputShape = (network.inputs[0].shape as number[]).slice(1);
  const x = tf.randomUniform([batch, ...inputShape], 0, 1, 'float32', 1);
  const labels = tf.randomUniform([batch], 0, 10, 'int32', 2);
  const options = { numClasses: 10, outputKind: outputKind(network) };
  trainStep(network, optimizer, x, labels, options); // warm-up
  return {
    block(steps: number): number {
      const start = performance.now();
      for (let i = 0; i < steps; i++) trainStep(network, optimizer, x, labels, options);
      return (performance.now() - start) / steps;
    },
    dispose() {
      tf.dispose([x, labels]);
      optimizer.dispose();
      network.weights.forEach((w) => w.dispose());
    },
  };
}

export function spreadOf(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { median, min: sorted[0], max: sorted.at(-1)! };
}

/**
 * Interleaved blocks, ours then PyTorch's (each after one warm-up step), so both see the same
 * machine load over the run; medians of the blocks' ms per step settle the ratio.
 */
async function timeInterleaved(model: string, batch: number, threads: number, blocks: number, stepsPerBlock: number, withTorch: boolean) {
  const ours = ourSteps(model, batch);
  const torch = withTorch ? await TorchSteps.start(model, batch, threads) : undefined;
  const oursMs: number[] = [];
  const torchMs: number[] = [];
  try {
    for (let block = 0; block < blocks; block++) {
      oursMs.push(ours.block(stepsPerBlock));
      if (torch) torchMs.push(await torch.block(stepsPerBlock));
    }
  } finally {
    ours.dispose();
    torch?.stop();
  }
  return { oursMs, torchMs, torchBaseline: torch?.baseline };
}

function withRatio(ms: number[], torchMs: number[]) {
  if (torchMs.length === 0) return {};
  const ratios = ms.map((value, i) => value / torchMs[i]);
  const torch = spreadOf(torchMs);
  return { torchMs: torch, ratio: spreadOf(ms).median / torch.median, ratioRange: [Math.min(...ratios), Math.max(...ratios)] as [number, number] };
}

/**
 * ms per training step of each bench model on each backend asked for, with 1 thread and with
 * all cores (or the thread counts asked for), interleaved with PyTorch's on the same model,
 * batch and threads where python3 has torch.
 */
export async function benchTrainStep(args: {
  backends: BackendRequest[];
  stepsScale: number;
  blocks: number;
  models?: string[];
  threads?: number[];
}): Promise<{ cases: TrainStepCase[] }> {
  const cases: TrainStepCase[] = [];
  const withTorch = torchAvailable();
  const described = new Set<string>();
  const threadCounts = args.threads ?? [...new Set([1, defaultThreads()])];
  const chosen = args.models ? args.models.map((model) => BENCH_MODELS.find((m) => m.model === model) ?? { model, batch: 32, stepsPerBlock: 3 }) : BENCH_MODELS;
  for (const { model, batch, stepsPerBlock: baseSteps } of chosen) {
    for (const backend of args.backends) {
      // The pure JavaScript backend takes about 90 s for one zoo:cnn step: one step, cnn only.
      if (backend === 'cpu' && model !== 'cnn') continue;
      for (const threads of backend === 'wasm' ? threadCounts : [1]) {
        const choice = await initBackend(backend, threads).catch(() => undefined);
        if (choice?.name !== backend) continue;
        const blocks = backend === 'cpu' ? 1 : args.blocks;
        const stepsPerBlock = backend === 'cpu' ? 1 : Math.max(1, Math.round(baseSteps * args.stepsScale));
        const { oursMs, torchMs, torchBaseline } = await timeInterleaved(model, batch, threads, blocks, stepsPerBlock, withTorch);
        cases.push({ model, backend, threads: choice.threads ?? threads, batch, blocks, stepsPerBlock, ms: spreadOf(oursMs), ...withRatio(oursMs, torchMs), torchBaseline });
        // On stderr, so that --json output stays one JSON line: once per distinct configuration.
        const description = torchBaseline && describeTorchBaseline(torchBaseline);
        if (description && !described.has(description)) process.stderr.write(`${description}\n`);
        if (description) described.add(description);
      }
    }
  }
  return { cases };
}

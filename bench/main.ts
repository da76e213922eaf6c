import { benchCost } from './cost.js';
import { benchRegularizer } from './regularizer.js';
import { benchTrainStep } from './train-step.js';

/**
 * Benchmarks, run with `npm run bench -- <name> [--json]`. Each reports ratios against a
 * baseline measured in the same process. Never part of `npm test`.
 */
const BENCHES: Record<string, (json: boolean, args: string[]) => Promise<void>> = {
  cost: async (json) => {
    const result = await benchCost(5);
    if (json) return void process.stdout.write(`${JSON.stringify(result)}\n`);
    console.log(`cost of a ${result.layers}-layer model: ${result.countMs.toFixed(1)} ms per count, ${result.ratio.toFixed(2)}x the ${result.buildMs.toFixed(1)} ms it takes tfjs to build the model (mean of ${result.repeats})`);
  },
  regularizer: async (json) => {
    const result = await benchRegularizer(10, 6);
    if (json) return void process.stdout.write(`${JSON.stringify(result)}\n`);
    console.log(`zoo:cnn on mnist, batch 64, ${result.steps} steps each, alternating: ${result.msPerStepWithout.toFixed(1)} ms/step without the regularizer, ${result.msPerStepWith.toFixed(1)} with it: ratio ${result.ratio.toFixed(3)}`);
  },
  'train-step': async (json, args) => {
    const flag = (name: string, fallback: number) => {
      const index = args.indexOf(name);
      return index >= 0 ? Number(args[index + 1]) : fallback;
    };
    const result = await benchTrainStep({ wasmSteps: flag('--wasm-steps', 20), cpuSteps: flag('--cpu-steps', 1), batch: flag('--batch', 64) });
    if (json) {
      process.stdout.write(`${JSON.stringify(result)}\n`);
      return;
    }
    console.log('train step, zoo:cnn on mnist');
    for (const c of result.cases) console.log(`  ${c.backend.padEnd(6)} batch ${c.batch}  ${c.msPerStep.toFixed(1).padStart(10)} ms/step  (${c.steps} timed steps)`);
    if (Number.isFinite(result.ratio)) console.log(`  wasm is ${result.ratio.toFixed(1)}x faster than cpu`);
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

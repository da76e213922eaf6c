import { Command, Option } from 'commander';
import { MorphnetError } from '../errors.js';
import { toolVersion } from './version.js';

/** Options every command that loads tfjs shares. */
export interface BackendFlags {
  backend?: string;
  json?: boolean;
}

const backendOption = () =>
  new Option('--backend <name>', 'tfjs backend: auto picks tensorflow (gpu, cpu) > wasm > cpu').choices(['auto', 'tensorflow', 'wasm', 'cpu']);

function notBuilt(command: string, issue: number): never {
  throw new MorphnetError('usage', `\`morphnet ${command}\` is not built yet (tracked as issue ${issue})`, 'see `morphnet --help` for the commands that work today');
}

/**
 * The command-line program. Each action loads its implementation lazily, so `--help` starts
 * without loading tfjs.
 */
export function buildProgram(): Command {
  const program = new Command('morphnet')
    .description('MorphNet structure learning for TensorFlow.js models: shrink, expand, retrain, report')
    .version(toolVersion())
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });

  program
    .command('run')
    .description('shrink -> expand -> retrain -> report in one run dir; re-running resumes')
    .argument('<config>', 'experiment config (YAML)')
    .option('-r, --run-dir <dir>', 'run directory (default: runs/<config name>)')
    .addOption(backendOption())
    .option('--json', 'print only the final JSON summary')
    .action(() => notBuilt('run', 6));

  program
    .command('shrink')
    .description('train the seed model with the MorphNet regularizer and export the learned widths')
    .option('-c, --config <file>', 'experiment config (YAML)')
    .option('-m, --model <model>', 'model.json path or zoo:NAME (overrides model in the config)')
    .option('-r, --run-dir <dir>', 'run directory')
    .addOption(backendOption())
    .option('--force', 'redo a finished shrink')
    .option('--json', 'print only the final JSON')
    .action(() => notBuilt('shrink', 4));

  program
    .command('expand')
    .description('grow the learned widths by one multiplier to exactly fit a budget')
    .requiredOption('-r, --run-dir <dir>', 'run directory with a finished shrink')
    .option('--target-flops <n>', 'FLOP budget (SI suffixes: 300M, 1.2G)')
    .option('--target-size <n>', 'parameter budget')
    .option('--target-latency <ms>', 'latency budget in ms (with --hardware)')
    .option('--target-activations <n>', 'activation budget')
    .option('--multiplier <w>', 'a fixed width multiplier instead of a budget')
    .option('--hardware <name>', 'hardware for latency')
    .option('--force', 'redo a finished expand')
    .option('--json', 'print JSON')
    .action(() => notBuilt('expand', 5));

  program
    .command('retrain')
    .description('train the expanded architecture from scratch and save a tfjs model')
    .requiredOption('-r, --run-dir <dir>', 'run directory with a finished expand')
    .option('--baseline <kind>', 'also train the uniform-width baseline at the same budget')
    .option('--init <kind>', 'scratch (default) or pruned')
    .addOption(backendOption())
    .option('--force', 'redo a finished retrain')
    .option('--json', 'print only the final JSON')
    .action(() => notBuilt('retrain', 5));

  program
    .command('report')
    .description('per-layer widths and costs, accuracy per stage')
    .requiredOption('-r, --run-dir <dir>', 'run directory')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json', 'html']).default('table'))
    .action(() => notBuilt('report', 6));

  program
    .command('cost')
    .description('MACs, FLOPs, params, activations and latency of any model, per layer')
    .requiredOption('-m, --model <model>', 'model.json path or zoo:NAME[?width=..&classes=..]')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('--hardware <name>', 'hardware for the latency column')
    .option('--batch-size <n>', 'batch size for latency and activation memory', '1')
    .option('--input-shape <h,w,c>', 'override the model input shape')
    .addOption(backendOption().default('cpu'))
    .action(async (flags) => (await import('./commands/cost.js')).costCommand(flags));

  return program;
}

import { Command, Option } from 'commander';
import { SHRINK_FLAGS, addConfigFlags } from './config-flags.js';
import { toolVersion } from './version.js';

/** Options every command that loads tfjs shares. */
export interface BackendFlags {
  backend?: string;
  json?: boolean;
}

const backendOption = (description: string) => new Option('--backend <name>', description).choices(['auto', 'tensorflow', 'wasm', 'cpu']);

/** `--json` on every command: machine-readable output on stdout, no notices or progress on stderr. */
const JSON_DESCRIPTION = 'print the result as JSON on stdout (no progress or notices)';

/**
 * The command-line program. Each action loads its implementation lazily, so `--help` starts
 * without loading tfjs.
 */
export function buildProgram(): Command {
  const program = new Command('morphnet')
    .description('MorphNet structure learning for TensorFlow.js models: shrink, expand, retrain, report')
    .version(toolVersion())
    .showHelpAfterError('(run with --help for usage)')
    // Throw instead of exiting (inherited by every subcommand added below): main maps it to exit 2.
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });

  program
    .command('run')
    .description('shrink -> expand -> retrain -> report in one run dir; re-running resumes')
    .argument('<config>', 'experiment config (YAML)')
    .option('-r, --run-dir <dir>', 'run directory (default: runs/<config name>)')
    .option('--threads <n>', 'threads of the wasm backend (default: all cores; config threads)')
    .option('--json', `${JSON_DESCRIPTION}: the report`)
    .action(async (config, flags) => (await import('./commands/run.js')).runCommand(config, flags));

  program
    .command('sweep')
    .description('many run dirs in one sweep dir: a shrink per strength; MorphNet, uniform and seed arms per budget and seed; statistics over seeds, sweep.json, sweep.html')
    .argument('<config>', 'experiment config (YAML) with a sweep: section')
    .option('-r, --run-dir <dir>', 'sweep directory (default: sweeps/<config name>)')
    .option('--threads <n>', 'threads of the wasm backend (default: all cores; config threads)')
    .option('--json', `${JSON_DESCRIPTION}: sweep.json`)
    .action(async (config, flags) => (await import('./commands/sweep.js')).sweepCommand(config, flags));

  addConfigFlags(
    program
      .command('shrink')
      .description('train the seed model with the MorphNet regularizer and export the learned widths')
      .option('-c, --config <file>', 'experiment config (YAML)')
      .option('-m, --model <model>', 'model.json, Keras .keras/.h5 file, or zoo:NAME (overrides model in the config)')
      .option('-r, --run-dir <dir>', 'run directory (default: runs/<config name>)')
      .option('--force', 'redo a finished shrink (removes every later result of the run dir, and says which)')
      .option('--json', JSON_DESCRIPTION),
    SHRINK_FLAGS,
  ).action(async (flags) => (await import('./commands/shrink.js')).shrinkCommand(flags));

  program
    .command('expand')
    .description('grow the learned widths by one multiplier to exactly fit a budget')
    .requiredOption('-r, --run-dir <dir>', 'run directory with a finished shrink')
    .option('--target-flops <n>', "FLOP budget (SI suffixes: 300M, 1.2G), or a share of the seed's (50%); the same % form for every --target-*")
    .option('--target-size <n>', 'budget of trainable parameters (kernels, biases, BN scale and offset)')
    .option('--target-latency <ms>', 'latency budget in ms (with --hardware)')
    .option('--target-activations <n>', 'activation budget')
    .option('--multiplier <w>', 'a fixed width multiplier instead of a budget')
    .option('--hardware <name>', 'hardware for latency')
    .option('--max-width <n>', 'no group grows beyond this many channels')
    .option('--no-fill', 'the pure multiplier: add no single channels after it (config expand.fill)')
    .option('--round-to <n>', 'widths in multiples of N: the budget search prices the rounded widths and the fill grows in steps of N (config expand.roundTo)')
    .option('--no-measure', "a latency budget from a measured table: fit by the table alone, without timing the structure against the seed and refitting (config expand.measureLatency)")
    .option('--force', 'redo a finished expand (removes the retrained models, their exports and the report, and says which)')
    .option('--json', JSON_DESCRIPTION)
    .action(async (flags) => (await import('./commands/expand.js')).expandCommand(flags));

  program
    .command('retrain')
    .description('train the expanded architecture from scratch and save a tfjs model')
    .requiredOption('-r, --run-dir <dir>', 'run directory with a finished expand')
    .option('--baseline <kind>', 'also train the uniform-width baseline at the same budget')
    .option('--init <kind>', 'scratch (default) or pruned')
    .option('--threads <n>', 'threads of the wasm backend (default: all cores; config threads)')
    .option('--force', 'redo a finished retrain (removes its previous model, exports and the report, and says which)')
    .option('--json', JSON_DESCRIPTION)
    .action(async (flags) => (await import('./commands/retrain.js')).retrainCommand(flags));

  program
    .command('report')
    .description('per-layer widths and costs, accuracy per stage')
    .requiredOption('-r, --run-dir <dir>', 'run directory')
    .addOption(new Option('--format <format>', 'table (default) | json (same as --json) | html (writes RUN_DIR/report.html)').choices(['table', 'json', 'html']))
    .option('--json', JSON_DESCRIPTION)
    .action(async (flags) => (await import('./commands/report.js')).reportCommand(flags));

  program
    .command('export')
    .description('write a run\'s model as a Keras 3 .keras archive, a Keras 2 .h5 file or a tfjs directory')
    .requiredOption('-r, --run-dir <dir>', 'run directory')
    .addOption(new Option('--format <format>', 'file format').choices(['keras', 'h5', 'tfjs']).default('keras'))
    .addOption(new Option('--from <model>', 'which model: the retrained one, the uniform baseline, or the pruned shrink result').choices(['retrain', 'baseline', 'pruned']).default('retrain'))
    .option('-o, --output <path>', 'file (keras, h5) or directory (tfjs) to write (default: RUN_DIR/export/)')
    .option('--json', JSON_DESCRIPTION)
    .action(async (flags) => (await import('./commands/export.js')).exportCommand(flags));

  program
    .command('cost')
    .description('MACs, FLOPs, params, activations and latency of any model, per layer')
    .requiredOption('-m, --model <model>', 'model.json, Keras .keras/.h5 file, or zoo:NAME[?width=..&classes=..]')
    .addOption(new Option('--format <format>', 'table (default) | json (same as --json)').choices(['table', 'json']))
    .option('--json', JSON_DESCRIPTION)
    .option('--hardware <name>', 'hardware for the latency column: K80 P4 T4 P100 V100 TPUv2, one defined in the config (-c), or a latency table (.json)')
    .option('-c, --config <file>', 'config whose hardware: section defines --hardware')
    .option('--batch-size <n>', 'batch size for latency and activation memory', '1')
    .option('--input-shape <h,w,c>', 'override the model input shape')
    // Counting runs no training kernels, so cpu, the quickest backend to start, is the default here.
    .addOption(backendOption('tfjs backend to load the model on; cpu by default, as counting runs no kernels (auto picks tensorflow > wasm > cpu)').default('cpu'))
    .action(async (flags) => (await import('./commands/cost.js')).costCommand(flags));

  program
    .command('latency')
    .description('time the model and each of its layers at sampled widths on a backend; writes a latency table for hardware: {NAME: {table: PATH}}')
    .requiredOption('-m, --model <model>', 'model.json, Keras .keras/.h5 file, or zoo:NAME[?width=..&classes=..]')
    .addOption(backendOption('the backend to time on (auto picks tensorflow > wasm > cpu)').default('auto'))
    .option('--threads <n>', 'threads of the wasm backend (default: all cores)')
    .option('--batch <n>', 'batch size of the timed inference', '1')
    .option('-o, --output <file>', 'the table to write (default: latency/<model>-<backend>[-<threads>t].json)')
    .option('--widths <n>', 'sampled widths per axis: n-1 fractions up to the seed width, and 150%', '5')
    .option('--repeats <n>', 'timed samples per point (the median is kept, the interquartile range stated)', '9')
    .option('--warmup <n>', 'untimed runs before the samples', '2')
    .option('--json', `${JSON_DESCRIPTION}: the table`)
    .action(async (flags) => (await import('./commands/latency.js')).latencyCommand(flags));

  return program;
}

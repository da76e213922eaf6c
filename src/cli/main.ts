#!/usr/bin/env node
import { CommanderError } from 'commander';
import { renderError } from './errors.js';
import { handleInterrupts } from './interrupt.js';
import { buildProgram } from './program.js';

/** The entry point: the only place that exits. Usage errors exit 2, as bad config does. */
async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      const helpShown = error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help';
      return helpShown ? 0 : 2;
    }
    const { text, exitCode } = renderError(error);
    process.stderr.write(`${text}\n`);
    return exitCode;
  }
}

// Ctrl-C and SIGTERM: record the interrupted stage in run.json, unlock, say how to resume, exit 130 (143).
handleInterrupts(process.argv.slice(2), (code) => process.exit(code));

main(process.argv).then((code) => {
  // Exit explicitly: backend worker threads would otherwise keep the process alive.
  process.exit(code);
});

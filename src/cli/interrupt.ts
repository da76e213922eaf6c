import { interruptOpenRunDirs, type Stage } from '../run-dir/run-dir.js';
import { commandLine } from '../run-dir/stage-commands.js';

/** The signals a user stops a run with: Ctrl-C, and `kill` or a job scheduler's stop. */
export const INTERRUPT_SIGNALS = { SIGINT: 2, SIGTERM: 15 } as const;
export type InterruptSignal = keyof typeof INTERRUPT_SIGNALS;

/** A shell's exit status for a process stopped by a signal: 128 + its number (130 for Ctrl-C, 143 for SIGTERM). */
export const interruptExitCode = (signal: InterruptSignal) => 128 + INTERRUPT_SIGNALS[signal];

/** `interrupted by SIGINT (Ctrl-C)`: also the reason run.json records. */
export const interruptReason = (signal: InterruptSignal) => `interrupted by ${signal}${signal === 'SIGINT' ? ' (Ctrl-C)' : ''}`;

/**
 * What the user reads when a command is stopped by a signal: what was interrupted, and the
 * command that resumes it (the same one, as typed: `morphnet ` + the arguments).
 */
export function interruptedText(signal: InterruptSignal, args: string[], interrupted: Array<{ root: string; stages: Stage[] }>): string {
  const stopped = interrupted.filter((run) => run.stages.length > 0);
  const what = stopped.length > 0 ? `: ${stopped.map((run) => `${run.stages.join(', ')} in ${run.root}`).join('; ')} stopped, marked interrupted in run.json` : '';
  const resume = stopped.length > 0 ? 'resume with the same command, which continues from the last checkpoint' : 'rerun the same command';
  return `error: ${interruptReason(signal)}${what}\nhint: ${resume}: ${commandLine(['morphnet', ...args])}`;
}

/**
 * On SIGINT or SIGTERM: marks the running stages of open run dirs `interrupted`, releases their
 * locks, tells the user how to resume, and exits with 128 + the signal number. Training yields
 * to the event loop between steps, so this runs within a step of the signal.
 */
export function handleInterrupts(args: string[], exit: (code: number) => void): void {
  for (const signal of Object.keys(INTERRUPT_SIGNALS) as InterruptSignal[]) {
    process.once(signal, () => {
      const interrupted = interruptOpenRunDirs(interruptReason(signal));
      // A progress bar may hold the line: start a clean one.
      process.stderr.write(`${process.stderr.isTTY ? '\r\x1b[K' : ''}${interruptedText(signal, args, interrupted)}\n`);
      exit(interruptExitCode(signal));
    });
  }
}

import ora, { type Ora } from 'ora';
// Types only: loading backend/select.js loads tfjs, which `report` must not wait for (see threads-flag.ts).
import type { BackendChoice } from '../backend/select.js';

/**
 * How a command talks to the person running it. Progress and notices go to stderr and only
 * when stdout is a terminal and --json is off; results go to stdout.
 */
export interface Output {
  json: boolean;
  interactive: boolean;
  /** A one-line notice on stderr (backend choice, hints); silent under --json. */
  notice(message: string): void;
  /** `warning: ...` on stderr, also under --json (stdout keeps only the result): something the user should know about their data. */
  warn(message: string): void;
  /**
   * The backend notice (`backend: wasm (...)`), once per backend however many stages start it;
   * silent under --json. An `auto` that fell back to cpu is also a warning, shown even then.
   */
  backend(choice: BackendChoice): void;
  /** Says which earlier results a stage removed because they no longer match (`expand --force`). */
  removed(stage: string, paths: string[]): void;
  /** The command's result: a JSON document under --json, else text. */
  result(text: string, json: unknown): void;
  spinner(text: string): Ora | undefined;
}

export function createOutput(options: { json?: boolean }): Output {
  const json = Boolean(options.json);
  const interactive = Boolean(process.stdout.isTTY) && !json;
  const notice = (message: string) => {
    if (!json) process.stderr.write(`${message}\n`);
  };
  const warn = (message: string) => {
    process.stderr.write(`warning: ${message}\n`);
  };
  let lastBackend: string | undefined;
  return {
    json,
    interactive,
    notice,
    warn,
    backend(choice) {
      const line = backendNotice(choice);
      if (line === lastBackend) return;
      notice(line);
      if (choice.fallback) warn(choice.fallback);
      lastBackend = line;
    },
    removed(stage, paths) {
      notice(removedNotice(stage, paths));
    },
    result(text, value) {
      process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);
    },
    spinner(text) {
      return interactive ? ora({ text, stream: process.stderr }).start() : undefined;
    },
  };
}

/** The backend notice: `backend: wasm (@tensorflow/tfjs-backend-wasm, 2 threads)`. */
export function backendNotice(choice: BackendChoice): string {
  const threads = choice.threads ? `, ${choice.threads} thread${choice.threads === 1 ? '' : 's'}` : '';
  return `backend: ${choice.name} (${choice.package}${threads})`;
}

/** `expand: removed 3 results made from the previous expand (they no longer match): RUN/retrain, RUN/export/retrain.keras, RUN/report.json`. */
export function removedNotice(stage: string, paths: string[]): string {
  const one = paths.length === 1;
  return `${stage}: removed ${paths.length} result${one ? '' : 's'} made from the previous ${stage} (${one ? 'it no longer matches' : 'they no longer match'}): ${paths.join(', ')}`;
}

/** `val acc 91.25%`, or `no validation set` for a run with data.validationSplit: 0, never `NaN%`. */
export function validationText(accuracy: number | undefined): string {
  return accuracy !== undefined && Number.isFinite(accuracy) ? `val acc ${(100 * accuracy).toFixed(2)}%` : 'no validation set';
}

/** Says that a step runs as several passes, when it does. */
export function microBatchNotice(output: Output, plan: { size: number; count: number } | undefined): void {
  if (plan) output.notice(`memory: each batch runs as ${plan.count} micro-batches of at most ${plan.size} with summed gradients (the wasm heap holds 4 GiB)`);
}

/**
 * A spinner while a structure fitted to a latency budget is timed against the seed and refitted
 * (`landMeasured`: expand's structure, retrain's uniform baseline); `stop` when the stage moves on.
 */
export function measuringSpinner(output: Output, structure: string): { measuring: (attempt: number, maxFits: number) => void; stop: () => void } {
  let spinner: Ora | undefined;
  return {
    measuring: (attempt, maxFits) => {
      const text = `timing ${structure} against the seed (fit ${attempt + 1}, at most ${maxFits})`;
      if (spinner) spinner.text = text;
      else spinner = output.spinner(text);
    },
    stop: () => {
      spinner?.stop();
      spinner = undefined;
    },
  };
}

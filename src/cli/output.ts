import ora, { type Ora } from 'ora';

/**
 * How a command talks to the person running it. Progress and notices go to stderr and only
 * when stdout is a terminal and --json is off; results go to stdout.
 */
export interface Output {
  json: boolean;
  interactive: boolean;
  /** A one-line notice on stderr (backend choice, hints); silent under --json. */
  notice(message: string): void;
  /** The command's result: a JSON document under --json, else text. */
  result(text: string, json: unknown): void;
  spinner(text: string): Ora | undefined;
}

export function createOutput(options: { json?: boolean }): Output {
  const json = Boolean(options.json);
  const interactive = Boolean(process.stdout.isTTY) && !json;
  return {
    json,
    interactive,
    notice(message) {
      if (!json) process.stderr.write(`${message}\n`);
    },
    result(text, value) {
      process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);
    },
    spinner(text) {
      return interactive ? ora({ text, stream: process.stderr }).start() : undefined;
    },
  };
}

import { MorphnetError } from '../errors.js';

/** Renders any error for a person: message and hint, never a stack (unless MORPHNET_DEBUG=1). */
export function renderError(error: unknown): { text: string; exitCode: number } {
  if (error instanceof MorphnetError) {
    const hint = error.hint ? `\nhint: ${error.hint}` : '';
    return { text: `error: ${error.message}${hint}`, exitCode: error.exitCode };
  }
  const err = error instanceof Error ? error : new Error(String(error));
  const detail = process.env.MORPHNET_DEBUG ? `\n${err.stack}` : '';
  return {
    text: `error: ${err.message}${detail}\nhint: this is unexpected; rerun with MORPHNET_DEBUG=1 for a stack trace and report it`,
    exitCode: 1,
  };
}

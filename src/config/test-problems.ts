import { ConfigInvalidError } from './load.js';

/** What the config loader says of what `resolve` reads: `path: message` per problem, [] when it is valid. */
export function configProblems(resolve: () => unknown): string[] {
  try {
    resolve();
  } catch (error) {
    if (error instanceof ConfigInvalidError) return error.problems.map((p) => `${p.path}: ${p.message}`);
    throw error;
  }
  return [];
}

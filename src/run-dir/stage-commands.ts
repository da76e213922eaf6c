/**
 * The commands that make each stage of a run dir, complete as a user types them, for hints.
 * Placeholders are upper case (CONFIG, N): the only words a user replaces.
 */

export type MadeStage = 'shrink' | 'expand' | 'retrain' | 'baseline' | 'report';

/** Quotes a word for a POSIX shell when it needs it, so a printed command runs as printed. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A command line from its words, quoted where needed: `morphnet run 'my runs/a.yaml'`. */
export function commandLine(words: string[]): string {
  return words.map(shellQuote).join(' ');
}

/** The command that makes `stage` in `runDir` once the stages before it are complete. */
export function stageCommand(stage: MadeStage, runDir: string): string {
  const dir = shellQuote(runDir);
  switch (stage) {
    case 'shrink':
      return `morphnet shrink -c CONFIG -r ${dir}`;
    case 'expand':
      return `morphnet expand -r ${dir} --target-flops N`;
    case 'retrain':
      return `morphnet retrain -r ${dir}`;
    case 'baseline':
      return `morphnet retrain -r ${dir} --baseline uniform`;
    case 'report':
      return `morphnet report -r ${dir}`;
  }
}

/** The stages a stage is made from, in order. */
export const PREREQUISITES: Record<MadeStage, MadeStage[]> = {
  shrink: [],
  expand: ['shrink'],
  retrain: ['shrink', 'expand'],
  baseline: ['shrink', 'expand'],
  report: ['shrink'],
};

import { describe, expect, it } from 'vitest';
import { interruptedText, interruptExitCode } from './interrupt.js';

describe('what an interrupted command prints', () => {
  it('names the stopped stage and run dir, and gives the same command to resume', () => {
    expect(interruptedText('SIGINT', ['run', 'configs/a.yaml', '-r', 'runs/a'], [{ root: '/home/u/runs/a', stages: ['shrink'] }])).toBe(
      'error: interrupted by SIGINT (Ctrl-C): shrink in /home/u/runs/a stopped, marked interrupted in run.json\n' +
        'hint: resume with the same command, which continues from the last checkpoint: morphnet run configs/a.yaml -r runs/a',
    );
  });

  it('quotes arguments the shell would split, so the printed command runs as printed', () => {
    expect(interruptedText('SIGTERM', ['shrink', '-c', 'my config.yaml'], [])).toBe("error: interrupted by SIGTERM\nhint: rerun the same command: morphnet shrink -c 'my config.yaml'");
  });

  it('exits as a shell reports a process stopped by the signal: 128 + its number', () => {
    expect(interruptExitCode('SIGINT')).toBe(128 + 2);
    expect(interruptExitCode('SIGTERM')).toBe(128 + 15);
  });
});

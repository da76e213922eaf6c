/**
 * A one-line progress bar with ETA for a known number of steps, redrawn in place on stderr.
 * Used only on a terminal; elsewhere commands print plain lines.
 */
export class ProgressBar {
  private readonly startedAt = Date.now();
  private lastDraw = 0;

  constructor(
    private readonly total: number,
    private readonly startStep: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  update(step: number, detail: string): void {
    const now = Date.now();
    if (now - this.lastDraw < 100 && step < this.total) return;
    this.lastDraw = now;
    const width = 24;
    const fraction = Math.min(1, step / this.total);
    const filled = Math.round(fraction * width);
    const done = step - this.startStep;
    const etaSeconds = done > 0 ? ((now - this.startedAt) / 1000 / done) * (this.total - step) : NaN;
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    const line = `${bar} ${step}/${this.total} ETA ${formatDuration(etaSeconds)}  ${detail}`;
    const columns = this.stream.columns ?? 120;
    this.stream.write(`\r\x1b[K${line.slice(0, columns - 1)}`);
  }

  done(): void {
    this.stream.write('\r\x1b[K');
  }
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.round(seconds);
  const minutes = Math.floor(s / 60);
  return `${minutes}:${String(s % 60).padStart(2, '0')}`;
}

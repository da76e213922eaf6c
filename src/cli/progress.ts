const MAX_BAR_WIDTH = 24;
/** Narrower than this, the bar says nothing the step counter does not: it is left out. */
const MIN_BAR_WIDTH = 5;
/** Fields of a progress detail are separated by two spaces (`loss 0.123  alive 30/32`). */
const FIELD_SEPARATOR = '  ';

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
    const done = step - this.startStep;
    const etaSeconds = done > 0 ? ((now - this.startedAt) / 1000 / done) * (this.total - step) : NaN;
    // stderr may be redirected while stdout is the terminal (interactive is decided on stdout).
    const columns = this.stream.columns ?? process.stdout.columns ?? 80;
    this.stream.write(`\r\x1b[K${progressLine(step, this.total, etaSeconds, detail, columns)}`);
  }

  done(): void {
    this.stream.write('\r\x1b[K');
  }
}

/**
 * `██████░░░░ 12/24 ETA 0:05  loss 0.123  alive 30/32`, at most `columns - 1` characters (a full
 * line would wrap). Space goes first to the counter and the detail, whose fields are dropped
 * whole from the end rather than cut (`alive 384/38` would be wrong); the bar takes what is left,
 * up to 24 characters, and is left out when fewer than 5 remain.
 */
export function progressLine(step: number, total: number, etaSeconds: number, detail: string, columns: number): string {
  const room = columns - 1;
  const counter = `${step}/${total} ETA ${formatDuration(etaSeconds)}`;
  const fields = detail === '' ? [] : detail.split(FIELD_SEPARATOR);
  while (fields.length > 0 && `${counter}${FIELD_SEPARATOR}${fields.join(FIELD_SEPARATOR)}`.length > room) fields.pop();
  const text = fields.length > 0 ? `${counter}${FIELD_SEPARATOR}${fields.join(FIELD_SEPARATOR)}` : counter;
  const barWidth = Math.min(MAX_BAR_WIDTH, room - text.length - 1);
  if (barWidth < MIN_BAR_WIDTH) return text.slice(0, room);
  const filled = Math.round(Math.min(1, step / total) * barWidth);
  return `${'█'.repeat(filled)}${'░'.repeat(barWidth - filled)} ${text}`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.round(seconds);
  const minutes = Math.floor(s / 60);
  return `${minutes}:${String(s % 60).padStart(2, '0')}`;
}

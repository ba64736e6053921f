/**
 * A one-line progress bar for terminals: redrawn in place on a TTY, silent otherwise (logs
 * carry progress there). Writes to stderr so stdout stays machine-readable.
 */
export class ProgressBar {
  private lastDraw = 0;
  private readonly stream: NodeJS.WriteStream;
  readonly enabled: boolean;

  constructor(stream: NodeJS.WriteStream = process.stderr, enabled = stream.isTTY === true) {
    this.stream = stream;
    this.enabled = enabled;
  }

  /** Draws `fraction` (0..1) with a status text; throttled to 10 redraws a second. */
  update(fraction: number, text: string, force = false): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const width = 24;
    const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
    const line = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(fraction * 100).toFixed(1).padStart(5)}% ${text}`;
    const columns = this.stream.columns ?? 120;
    this.stream.write(`\r${line.slice(0, columns - 1).padEnd(Math.min(columns - 1, line.length + 2))}`);
  }

  /** Ends the bar's line so later output starts on a fresh one. */
  done(): void {
    if (this.enabled) this.stream.write('\n');
  }
}

/** "1h02m", "3m05s", "42s". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

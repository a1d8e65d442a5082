/**
 * The progress bar of the copying commands: one line at the bottom of a terminal, redrawn in place
 * at most ten times a second, with the bytes and files done, the throughput and an ETA that does
 * not jump about. Lines printed with `note` go above the bar and stay on the screen after it is
 * gone (a failure's reason, for one).
 */
import { formatBytes } from '../config/types.js';

const CLEAR_LINE = '\r\x1b[2K';
const HIDE_CURSOR = '\x1b[?25l';
const SHOW_CURSOR = '\x1b[?25h';
const REDRAW_MS = 100;
const BAR_WIDTH = 24;

/**
 * Throughput smoothed exponentially over time (a time constant of `tauMs`), so that one slow or
 * fast chunk moves the rate, and the ETA drawn from it, only a little.
 */
export class RateMeter {
  private last: { bytes: number; at: number } | undefined;
  private smoothed: number | undefined;
  private readonly startedAt: number;

  constructor(
    now: number,
    private readonly tauMs = 10_000,
    private readonly minSampleMs = 250,
  ) {
    this.startedAt = now;
    this.last = { bytes: 0, at: now };
  }

  /** Records that `bytes` are done at time `now` (ms). */
  sample(bytes: number, now: number): void {
    const last = this.last!;
    const elapsed = now - last.at;
    if (elapsed < this.minSampleMs) return;
    const rate = ((bytes - last.bytes) * 1000) / elapsed;
    // Until a time constant has passed, the average since the start is the better estimate.
    if (this.smoothed === undefined || now - this.startedAt < this.tauMs) {
      this.smoothed = (bytes * 1000) / Math.max(1, now - this.startedAt);
    } else {
      this.smoothed += (1 - Math.exp(-elapsed / this.tauMs)) * (rate - this.smoothed);
    }
    this.last = { bytes, at: now };
  }

  /** Bytes per second, or undefined before the first sample. */
  get bytesPerSecond(): number | undefined {
    return this.smoothed;
  }

  /** Seconds left for `remaining` bytes at the smoothed rate; undefined while unknown. */
  etaSeconds(remaining: number): number | undefined {
    if (remaining <= 0) return 0;
    if (!this.smoothed || this.smoothed <= 0) return undefined;
    return remaining / this.smoothed;
  }
}

/** `7s`, `45s`, `1m 15s` (to 5 s), `2h 05m`: coarser as it grows, so it reads steadily. */
export function formatEta(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '--';
  if (seconds < 60) return `${Math.ceil(seconds)}s`;
  if (seconds < 3600) {
    const rounded = Math.ceil(seconds / 5) * 5;
    const m = Math.floor(rounded / 60);
    const s = rounded % 60;
    return s === 0 ? `${m}m` : `${m}m ${s}s`;
  }
  const minutes = Math.ceil(seconds / 60);
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

export interface ProgressFigures {
  readonly bytes: number;
  readonly totalBytes: number;
  readonly files: number;
  readonly totalFiles: number;
  readonly bytesPerSecond: number | undefined;
  readonly etaSeconds: number | undefined;
}

/** `[#######.................]  30% | 30MB of 100MB | 12.50MB/s | 3 of 10 files | ETA 6s` */
export function formatProgress(f: ProgressFigures): string {
  const fraction =
    f.totalBytes > 0 ? Math.min(1, f.bytes / f.totalBytes) : f.files / Math.max(1, f.totalFiles);
  const filled = Math.round(fraction * BAR_WIDTH);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`;
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  const speed = f.bytesPerSecond === undefined ? '--/s' : `${formatBytes(Math.round(f.bytesPerSecond))}/s`;
  const files = `${f.files} of ${f.totalFiles} file${f.totalFiles === 1 ? '' : 's'}`;
  return `${bar} ${percent} | ${formatBytes(f.bytes)} of ${formatBytes(f.totalBytes)} | ${speed} | ${files} | ETA ${formatEta(f.etaSeconds)}`;
}

/** The bar on a terminal stream. */
export class ProgressLine {
  private readonly meter: RateMeter;
  private bytes = 0;
  private files = 0;
  private drawnAt = 0;
  private stopped = false;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private totalBytes: number,
    private totalFiles: number,
    private readonly now: () => number = Date.now,
  ) {
    this.meter = new RateMeter(now());
    this.stream.write(HIDE_CURSOR);
    this.draw();
  }

  update(bytes: number, files: number): void {
    this.bytes = bytes;
    this.files = files;
    const now = this.now();
    this.meter.sample(bytes, now);
    if (now - this.drawnAt >= REDRAW_MS) this.draw();
  }

  /** The totals grow by `bytes` and `files` (found by a listing still going on). */
  grow(bytes: number, files: number): void {
    this.totalBytes += bytes;
    this.totalFiles += files;
  }

  /** Prints `line` above the bar, where it stays. */
  note(line: string): void {
    if (this.stopped) {
      this.stream.write(`${line}\n`);
      return;
    }
    this.stream.write(`${CLEAR_LINE}${line}\n`);
    this.draw();
  }

  /** Removes the bar (the notes stay) and shows the cursor again. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.stream.write(`${CLEAR_LINE}${SHOW_CURSOR}`);
  }

  private draw(): void {
    if (this.stopped) return;
    this.drawnAt = this.now();
    const line = formatProgress({
      bytes: this.bytes,
      totalBytes: this.totalBytes,
      files: this.files,
      totalFiles: this.totalFiles,
      bytesPerSecond: this.meter.bytesPerSecond,
      etaSeconds: this.meter.etaSeconds(this.totalBytes - this.bytes),
    });
    const width = this.stream.columns || 120;
    this.stream.write(`${CLEAR_LINE}${line.slice(0, Math.max(20, width - 1))}`);
  }
}

/**
 * Training progress: on a terminal a bar redrawn in place with rate, ETA and the latest metrics;
 * otherwise (CI, log files) a plain line every `intervalMs` and at the end. With `statusFile`, the
 * same numbers also go to a small JSON file (about once a second) that a parent process reads to
 * show every job of a sweep (src/logging/sweep_progress.ts).
 */
import fs from 'node:fs';

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  /** The step count at which the work is done. */
  total: number;
  /** The step the work starts from (a resumed run), for the rate and ETA; default: one before the first update's step. */
  start?: number;
  label?: string;
  /** Where to draw (default process.stderr). */
  stream?: ProgressStream;
  /** Non-terminal streams get one line per this many ms (default 10 s). */
  intervalMs?: number;
  /** Clock in milliseconds (tests). */
  now?: () => number;
  /** Also keep this JSON file ({@link ProgressStatus}) up to date. */
  statusFile?: string;
}

/** What `statusFile` holds. */
export interface ProgressStatus {
  step: number;
  total: number;
  /** Steps per second since the start (validation pauses included, so the ETA accounts for them). */
  rate: number;
  /** Seconds left at that rate (null when unknown). */
  eta: number | null;
  metrics: Record<string, number>;
  /** training, then trained once done() is called. */
  phase: 'training' | 'trained';
  /** When the file was written (ms since the epoch). */
  updated: number;
}

/** The status file's name in a run folder. */
export const PROGRESS_FILE = 'progress.json';

const REDRAW_MS = 100;
const STATUS_MS = 1000;

export class Progress {
  private readonly stream: ProgressStream;
  private readonly tty: boolean;
  private readonly now: () => number;
  private readonly startTime: number;
  private start: number;
  private started: boolean;
  private lastDraw = -Infinity;
  private step: number;
  private metrics: Record<string, number> = {};
  private barShown = false;
  private lastStatus = -Infinity;

  constructor(private readonly opts: ProgressOptions) {
    this.stream = opts.stream ?? process.stderr;
    this.tty = this.stream.isTTY === true;
    this.now = opts.now ?? Date.now;
    this.startTime = this.now();
    this.start = opts.start ?? 0;
    this.started = opts.start !== undefined;
    this.step = this.start;
  }

  /** Records that `step` steps are done; redraws (terminal) or prints a line when it is time. */
  update(step: number, metrics: Record<string, number> = {}): void {
    if (!this.started) {
      // A resumed run's first update is its checkpoint step + 1: rate and ETA count from there.
      this.start = Math.max(0, step - 1);
      this.started = true;
    }
    this.step = step;
    this.metrics = { ...this.metrics, ...metrics };
    const t = this.now();
    if (t - this.lastStatus >= STATUS_MS) this.writeStatus('training');
    const interval = this.tty ? REDRAW_MS : (this.opts.intervalMs ?? 10_000);
    if (t - this.lastDraw < interval && step < this.opts.total) return;
    this.lastDraw = t;
    this.draw();
  }

  /** Prints a message line without garbling the bar. */
  log(line: string): void {
    if (this.tty && this.barShown) this.stream.write('\r\x1b[K');
    this.stream.write(`${line}\n`);
    if (this.tty && this.barShown) this.stream.write(this.barLine());
  }

  /** Final line (ends the bar's line on a terminal). */
  done(metrics: Record<string, number> = {}): void {
    this.metrics = { ...this.metrics, ...metrics };
    this.writeStatus('trained');
    if (this.tty) {
      this.stream.write(`\r\x1b[K${this.barLine()}\n`);
      this.barShown = false;
    } else {
      this.stream.write(`${this.plainLine()}\n`);
    }
  }

  private writeStatus(phase: ProgressStatus['phase']): void {
    const file = this.opts.statusFile;
    if (file === undefined) return;
    this.lastStatus = this.now();
    const { rate, eta } = this.stats();
    const status: ProgressStatus = {
      step: this.step,
      total: this.opts.total,
      rate,
      eta: Number.isFinite(eta) ? eta : null,
      metrics: this.metrics,
      phase,
      updated: this.lastStatus,
    };
    // Temp file + rename: a reader never sees half a file. No fsync: it is rewritten every second.
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      fs.writeFileSync(tmp, JSON.stringify(status));
      fs.renameSync(tmp, file);
    } catch {
      // The display is best effort; training must not stop because its status file could not be written.
    }
  }

  private draw(): void {
    if (this.tty) {
      this.stream.write(`\r\x1b[K${this.barLine()}`);
      this.barShown = true;
    } else {
      this.stream.write(`${this.plainLine()}\n`);
    }
  }

  private stats(): { percent: number; rate: number; eta: number } {
    const total = this.opts.total;
    const elapsed = (this.now() - this.startTime) / 1000;
    const doneSteps = this.step - this.start;
    const rate = elapsed > 0 ? doneSteps / elapsed : 0;
    const eta = rate > 0 ? Math.max(0, total - this.step) / rate : NaN;
    return { percent: total > 0 ? Math.min(100, (100 * this.step) / total) : 100, rate, eta };
  }

  private metricText(sep: string): string {
    return Object.entries(this.metrics)
      .map(([k, v]) => `${k}${sep}${formatNumber(v)}`)
      .join(' ');
  }

  private barLine(): string {
    const { percent, rate, eta } = this.stats();
    const label = this.opts.label ? `${this.opts.label} ` : '';
    const tail = ` ${this.step}/${this.opts.total} ${percent.toFixed(0).padStart(3)}% ${this.metricText(' ')} ${rate.toFixed(2)} it/s ETA ${formatDuration(eta)}`;
    const width = Math.max(10, Math.min(40, (this.stream.columns ?? 80) - label.length - tail.length - 3));
    const filled = Math.round((width * percent) / 100);
    return `${label}[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]${tail.replace(/ {2,}/g, ' ')}`;
  }

  private plainLine(): string {
    const { percent, rate, eta } = this.stats();
    const label = this.opts.label ? `${this.opts.label}: ` : '';
    const metrics = this.metricText('=');
    return `${label}step ${this.step}/${this.opts.total} (${percent.toFixed(0)}%)${metrics ? ` ${metrics}` : ''} ${rate.toFixed(2)} it/s eta ${formatDuration(eta)}`;
  }
}

/** 4 significant digits, or exponent form for very small/large numbers. */
function formatNumber(v: number): string {
  if (v === 0 || !Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a >= 1e-3 && a < 1e5 ? String(Number(v.toPrecision(4))) : v.toExponential(2);
}

/** 17s, 2m05s, 1h02m; "?" when unknown. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

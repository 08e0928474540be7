/**
 * Live progress of a sweep's jobs for the parent process: each running job's step, rate, ETA and
 * latest metrics (validation J&F among them), read from the status file its Progress keeps
 * (progress.ts), plus a summary line with the sweep's ETA. On a terminal the block is redrawn in
 * place (log lines print above it); otherwise a plain block every `intervalMs`.
 */
import fs from 'node:fs';
import { formatDuration, type ProgressStatus, type ProgressStream } from './progress.js';

export interface SweepProgressOptions {
  totalJobs: number;
  /** Jobs run at once. */
  parallel: number;
  /** Where to draw (default process.stderr). */
  stream?: ProgressStream;
  /** Non-terminal streams get one block per this many ms (default 30 s). */
  intervalMs?: number;
  /** Clock in milliseconds (tests). */
  now?: () => number;
  /** Expected seconds per job (recorded timings), for the ETA before a job reports a rate. */
  jobSeconds?: number | null;
}

interface RunningJob {
  label: string;
  statusFile: string;
  started: number;
}

/**
 * Wall time of `waiting` jobs of `jobSeconds` each after the running ones (seconds left each) on
 * `parallel` workers: each job goes to the first free worker.
 */
export function sweepEta(running: number[], waiting: number, parallel: number, jobSeconds: number): number {
  const free = [...running, ...Array.from({ length: Math.max(0, parallel - running.length) }, () => 0)].sort((a, b) => a - b);
  if (free.length === 0) return NaN;
  for (let i = 0; i < waiting; i++) {
    free[0] = free[0]! + jobSeconds;
    free.sort((a, b) => a - b);
  }
  return Math.max(...free);
}

function readStatus(file: string): ProgressStatus | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as ProgressStatus;
  } catch {
    return undefined;
  }
}

function formatMetric(v: number): string {
  return Number.isFinite(v) ? String(Number(v.toPrecision(3))) : String(v);
}

export class SweepProgress {
  private readonly stream: ProgressStream;
  private readonly tty: boolean;
  private readonly now: () => number;
  private readonly running = new Map<number, RunningJob>();
  private readonly finishedSeconds: number[] = [];
  private finished = 0;
  private drawn = 0;
  private lastPlain: number;
  private lastIdle: string | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly opts: SweepProgressOptions) {
    this.stream = opts.stream ?? process.stderr;
    this.tty = this.stream.isTTY === true;
    this.now = opts.now ?? Date.now;
    this.lastPlain = this.now();
  }

  /** Redraws every second on a terminal, checks every second otherwise (prints per intervalMs). */
  start(): void {
    this.timer ??= setInterval(() => this.tick(), 1000);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.clear();
  }

  jobStarted(index: number, label: string, statusFile: string): void {
    this.running.set(index, { label, statusFile, started: this.now() });
  }

  /** A finished job (seconds: its wall time; a skipped job passes null and does not count toward the rate). */
  jobEnded(index: number, seconds: number | null): void {
    this.running.delete(index);
    this.finished++;
    if (seconds !== null) this.finishedSeconds.push(seconds);
  }

  /** Prints a line without garbling the block (`write` defaults to the stream). */
  log(line: string, write?: (line: string) => void): void {
    this.clear();
    if (write !== undefined) write(line);
    else this.stream.write(`${line}\n`);
    if (this.tty) this.draw();
  }

  /** Reads every running job's status and draws (terminal) or prints when the interval is up. */
  tick(): void {
    if (this.tty) {
      this.clear();
      this.draw();
      return;
    }
    const t = this.now();
    if (t - this.lastPlain < (this.opts.intervalMs ?? 30_000)) return;
    this.lastPlain = t;
    const lines = this.lines();
    // With nothing running (all queued on a cluster), repeat the summary only when it changes.
    if (this.running.size === 0 && lines[lines.length - 1] === this.lastIdle) return;
    this.lastIdle = this.running.size === 0 ? lines[lines.length - 1] : undefined;
    for (const line of lines) this.stream.write(`${line}\n`);
  }

  /** The block: one line per running job, then the summary. */
  lines(): string[] {
    const t = this.now();
    const statuses = new Map(
      [...this.running].map(([i, job]) => {
        const s = readStatus(job.statusFile);
        // A status file older than this start is an earlier attempt's (a resumed sweep).
        return [i, s === undefined || s.updated < job.started ? undefined : s] as const;
      }),
    );
    // Projected job length from the running jobs' rates, for when nothing has finished or been recorded.
    const projected = [...this.running].flatMap(([i, job]) => {
      const s = statuses.get(i);
      return s?.phase === 'training' && s.eta !== null ? [(t - job.started) / 1000 + s.eta] : [];
    });
    const perJob = this.jobSeconds(projected);
    const left: number[] = [];
    const jobs = [...this.running]
      .sort(([a], [b]) => a - b)
      .map(([index, job]) => {
        const s = statuses.get(index);
        const head = `  job ${index} [${job.label}]`;
        if (s === undefined) {
          left.push(Math.max(0, perJob - (t - job.started) / 1000));
          return `${head}: starting`;
        }
        if (s.phase === 'trained') {
          left.push(0);
          return `${head}: trained ${s.step}/${s.total} steps; final evaluation`;
        }
        left.push(s.eta ?? NaN);
        const metrics = Object.entries(s.metrics)
          .map(([k, v]) => `${k}=${formatMetric(v)}`)
          .join(' ');
        const percent = s.total > 0 ? Math.floor((100 * s.step) / s.total) : 100;
        return `${head}: step ${s.step}/${s.total} (${percent}%)${metrics ? ` ${metrics}` : ''} ${s.rate.toFixed(2)} it/s ETA ${formatDuration(s.eta ?? NaN)}`;
      });
    const waiting = Math.max(0, this.opts.totalJobs - this.finished - this.running.size);
    const eta = sweepEta(left, waiting, this.opts.parallel, perJob);
    const summary = `  ${this.finished}/${this.opts.totalJobs} done, ${this.running.size} running, ${waiting} waiting; sweep ETA ${formatDuration(eta)}`;
    const width = (this.stream.columns ?? 0) - 1;
    return [...jobs, summary].map((l) => (this.tty && width > 10 && l.length > width ? `${l.slice(0, width - 1)}…` : l));
  }

  /** Seconds per job: the mean of finished ones, else the recorded estimate, else the running ones' projection, else NaN. */
  private jobSeconds(projected: number[]): number {
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    if (this.finishedSeconds.length > 0) return mean(this.finishedSeconds);
    if (this.opts.jobSeconds != null) return this.opts.jobSeconds;
    return projected.length > 0 ? mean(projected) : NaN;
  }

  private draw(): void {
    const lines = this.lines();
    this.stream.write(lines.map((l) => `${l}\n`).join(''));
    this.drawn = lines.length;
  }

  private clear(): void {
    if (!this.tty || this.drawn === 0) return;
    this.stream.write(`\x1b[${this.drawn}A\x1b[J`);
    this.drawn = 0;
  }
}

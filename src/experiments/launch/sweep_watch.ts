/**
 * What a sweep shows on the console while it runs: the estimated wall time before it starts (from
 * recorded timings, timings.ts), then the live display of every running job (logging/
 * sweep_progress.ts); and, as each job finishes, its timing is recorded for the next estimate.
 * Used by `rvos experiment`, `rvos main` (npm start) and `rvos train -m`.
 */
import path from 'node:path';
import type { RvosConfig } from '../../config/index.js';
import { formatDuration, PROGRESS_FILE, SweepProgress, type ProgressStream } from '../../logging/index.js';
import type { JobOutcome, SweepJob } from '../run/sweep_job.js';
import type { RunResults } from '../run/run.js';
import { variantOverrides } from '../report/sweep_results.js';
import { estimateJobSeconds, readTimings, recordTiming, speedKey, TIMINGS_FILE } from '../run/timings.js';

export interface SweepWatchOptions {
  /** The composed config of each job, by job index. */
  configs: RvosConfig[];
  parallel: number;
  /** Where the sweep's own lines go (started / finished). */
  log: (line: string) => void;
  /** Where the live display draws (default process.stderr); false: no live display. */
  stream?: ProgressStream | false;
  /** Non-terminal streams: one block per this many ms (default 30 s). */
  intervalMs?: number;
  /** Jobs whose finished runs the sweep re-uses (--resume, --reuse): left out of the estimate. */
  finished?: ReadonlySet<number>;
}

export interface SweepWatch {
  /** One line: the estimated wall time, or why there is none yet. */
  estimate: string;
  onJobStart(job: SweepJob, runDir: string): void;
  onJobEnd(outcome: JobOutcome): void;
  /** The job's short label (variant and seed). */
  label(index: number): string;
  /** Prints a line above the live display. */
  log(line: string): void;
  stop(): void;
}

/** Wall time of jobs of the given lengths on `parallel` workers, each job to the first free worker. */
export function makespan(seconds: number[], parallel: number): number {
  const free = Array.from({ length: Math.max(1, parallel) }, () => 0);
  for (const s of seconds) {
    free.sort((a, b) => a - b);
    free[0]! += s;
  }
  return Math.max(...free);
}

const shortOverride = (o: string): string => {
  const eq = o.indexOf('=');
  return eq < 0
    ? o
    : `${o
        .slice(0, eq)
        .replace(/^\+{1,2}/, '')
        .split('.')
        .pop()}=${o.slice(eq + 1)}`;
};

/** Short job labels: the variant name (or its overrides) and the seed; overrides every job shares are left out. */
export function jobLabels(jobs: SweepJob[], configs: RvosConfig[]): Map<number, string> {
  const own = jobs.map((j) => variantOverrides(j.overrides));
  const shared = (o: string) => jobs.length > 1 && own.every((list) => list.includes(o));
  return new Map(
    jobs.map((job, i) => {
      const config = configs[job.index]!;
      const name = job.overrides
        .find((o) => /^\+{0,2}run\.name=/.test(o))
        ?.split('=')
        .slice(1)
        .join('=');
      const bundle = new Set(config.sweep.variants.find((v) => v.name === name)?.overrides ?? []);
      const rest = own[i]!.filter((o) => !shared(o) && !bundle.has(o)).map(shortOverride);
      return [job.index, [...(name === undefined ? [] : [name]), ...rest, `seed=${config.seed}`].join(' ')] as const;
    }),
  );
}

/** The line printed before a sweep starts; `finished` jobs (re-used runs) are not counted. */
export function estimateLine(
  allJobs: SweepJob[],
  configs: RvosConfig[],
  parallel: number,
  finished: ReadonlySet<number> = new Set(),
): { line: string; jobSeconds: number | null } {
  const jobs = allJobs.filter((j) => !finished.has(j.index));
  const reused = allJobs.length - jobs.length;
  if (jobs.length === 0) return { line: `estimated wall time: none, all ${reused} run(s) are finished`, jobSeconds: null };
  const skipped = reused > 0 ? `; ${reused} finished run(s) re-used` : '';
  const roots = [...new Set(jobs.map((j) => configs[j.index]!.run.root))];
  const records = roots.flatMap(readTimings);
  const estimates = jobs.map((j) => estimateJobSeconds(records, configs[j.index]!, parallel));
  const known = estimates.filter((e): e is NonNullable<typeof e> => e !== null);
  const where = roots.map((r) => path.join(r, TIMINGS_FILE)).join(', ');
  if (known.length === 0) {
    return {
      line: `estimated wall time: unknown, no run of these settings recorded yet in ${where} (the live display estimates once the first steps run)${skipped}`,
      jobSeconds: null,
    };
  }
  const mean = known.reduce((a, e) => a + e.seconds, 0) / known.length;
  const total = makespan(
    estimates.map((e) => e?.seconds ?? mean),
    parallel,
  );
  const partly = known.length < jobs.length ? `; ${jobs.length - known.length} run(s) of unrecorded settings counted at the mean` : '';
  const keys = new Set(jobs.map((j) => speedKey(configs[j.index]!)));
  const used = records.filter((r) => keys.has(r.key)).length;
  const rate = known.reduce((a, e) => a + 1 / e.secondsPerStep, 0) / known.length;
  return {
    line: `estimated wall time: ~${formatDuration(total)} (${jobs.length} run(s), ${parallel} at a time, ~${formatDuration(mean)} per run at ~${rate.toFixed(2)} steps/s, from ${used} recorded run(s) in ${where}${partly}${skipped})`,
    jobSeconds: mean,
  };
}

export function watchSweep(jobs: SweepJob[], opts: SweepWatchOptions): SweepWatch {
  const { line, jobSeconds } = estimateLine(jobs, opts.configs, opts.parallel, opts.finished);
  const labels = jobLabels(jobs, opts.configs);
  const monitor =
    opts.stream === false
      ? undefined
      : new SweepProgress({ totalJobs: jobs.length, parallel: opts.parallel, stream: opts.stream, intervalMs: opts.intervalMs, jobSeconds });
  monitor?.start();
  return {
    estimate: line,
    onJobStart: (job, runDir) => monitor?.jobStarted(job.index, labels.get(job.index) ?? String(job.index), path.join(runDir, PROGRESS_FILE)),
    onJobEnd: (o) => {
      monitor?.jobEnded(o.index, o.status === 'skipped' ? null : o.seconds);
      const config = opts.configs[o.index];
      if (o.status === 'ok' && o.results !== undefined && config !== undefined) {
        try {
          recordTiming(config.run.root, config, opts.parallel, o.results as unknown as RunResults, o.seconds);
        } catch {
          // Timings only feed the next estimate; a read-only results root must not fail the sweep.
        }
      }
    },
    label: (index) => labels.get(index) ?? String(index),
    log: (l) => (monitor === undefined ? opts.log(l) : monitor.log(l, opts.log)),
    stop: () => monitor?.stop(),
  };
}

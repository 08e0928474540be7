/**
 * Runs the jobs of a sweep as separate `rvos train` processes, at most `jobs` at a time
 * (launcher `basic` = 1, `local` = launcher.jobs). Each job writes into `<sweepDir>/<n>/`; a failed
 * job is recorded and the others go on. The summary (`summary.json`) is rewritten atomically after
 * every job, so an interrupted sweep shows what finished. launcher=slurm submits the jobs as one
 * Slurm job array instead (./slurm/).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { acquireRunLock } from '../../logging/run_lock.js';
import { writeFileAtomic } from '../../utils/fs.js';
import { PreemptedError } from '../../train/preemption.js';
import type { JobOutcome, LaunchOptions, SweepJob } from '../run/sweep_job.js';

const RVOS_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/rvos.mjs');

export function jobRunDir(sweepDir: string, index: number): string {
  return path.join(sweepDir, String(index));
}

function readResults(runDir: string): Record<string, unknown> | undefined {
  const file = path.join(runDir, 'results.json');
  if (!fs.existsSync(file)) return undefined;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** The jobs whose run folder in `sweepDir` already holds a finished run (results.json). */
export function finishedJobs(sweepDir: string, jobs: SweepJob[]): Set<number> {
  return new Set(jobs.filter((j) => fs.existsSync(path.join(jobRunDir(sweepDir, j.index), 'results.json'))).map((j) => j.index));
}

function runJob(job: SweepJob, options: LaunchOptions, concurrent: number, running: Set<ChildProcess>): Promise<JobOutcome> {
  const runDir = jobRunDir(options.sweepDir, job.index);
  fs.mkdirSync(runDir, { recursive: true });
  options.onJobStart?.(job, runDir);
  const started = Date.now();
  const log = fs.openSync(path.join(runDir, 'train.log'), 'a');
  const args = [RVOS_BIN, 'train', '--run-dir', runDir, options.overwrite ? '--overwrite' : '--resume=auto', ...(options.extraArgs ?? []), ...job.overrides];
  return new Promise((resolve) => {
    // Concurrent jobs split the cores among their native (oneDNN) convolution threads.
    const nativeShare = String(concurrent * Math.max(1, Number(process.env.RVOS_NATIVE_SHARE ?? 1) || 1));
    const env = { ...process.env, RVOS_JOB_INDEX: String(job.index), RVOS_NATIVE_SHARE: nativeShare };
    const child = spawn(process.execPath, args, { stdio: ['ignore', log, log], env });
    running.add(child);
    const finish = (code: number | null, message?: string) => {
      running.delete(child);
      fs.closeSync(log);
      const seconds = (Date.now() - started) / 1000;
      const ok = code === 0;
      const tail = ok ? undefined : (message ?? fs.readFileSync(path.join(runDir, 'train.log'), 'utf8').split('\n').slice(-15).join('\n'));
      resolve({
        index: job.index,
        overrides: job.overrides,
        runDir,
        status: ok ? 'ok' : 'failed',
        exitCode: code,
        seconds,
        results: readResults(runDir),
        error: tail,
      });
    };
    child.on('error', (err) => finish(null, err.message));
    child.on('exit', (code) => finish(code));
  });
}

/** Runs every job; resolves with all outcomes in job order once the last one ends. */
export async function launchSweep(jobs: SweepJob[], options: LaunchOptions): Promise<JobOutcome[]> {
  fs.mkdirSync(options.sweepDir, { recursive: true });
  // One launcher per sweep folder; each job's `rvos train` also locks its own run folder.
  const lock = acquireRunLock(options.sweepDir, 'rvos sweep');
  try {
    if (options.slurm !== undefined) return await (await import('./slurm/launch.js')).launchSlurmArray(jobs, options, options.slurm);
    return await launchLocked(jobs, options);
  } finally {
    lock.release();
  }
}

async function launchLocked(jobs: SweepJob[], options: LaunchOptions): Promise<JobOutcome[]> {
  const outcomes: JobOutcome[] = [];
  const writeSummary = () =>
    writeFileAtomic(path.join(options.sweepDir, 'summary.json'), JSON.stringify({ jobs: [...outcomes].sort((a, b) => a.index - b.index) }, null, 2));
  // Finished runs (--resume, or filled by --reuse) are recorded before anything trains, so a sweep
  // stopped early still lists every one of them, not only those before the last job it reached.
  const queue: SweepJob[] = [];
  for (const job of jobs) {
    const runDir = jobRunDir(options.sweepDir, job.index);
    const results = options.skipFinished ? readResults(runDir) : undefined;
    if (results === undefined) {
      queue.push(job);
      continue;
    }
    const outcome: JobOutcome = { index: job.index, overrides: job.overrides, runDir, status: 'skipped', exitCode: 0, seconds: 0, results };
    outcomes.push(outcome);
    options.onJobEnd?.(outcome);
  }
  if (outcomes.length > 0) writeSummary();
  const slots = Math.max(1, Math.min(options.jobs, jobs.length));
  // SIGTERM sent to the launcher alone (`kill PID`, a scheduler) would leave its jobs training with
  // no one to record them: pass it on (each job checkpoints and exits, src/train/preemption.ts),
  // start no further job, and stop once they have ended. Ctrl-C reaches the jobs directly.
  const running = new Set<ChildProcess>();
  let stopped = false;
  const onTerm = () => {
    if (stopped) return;
    stopped = true;
    for (const child of running) child.kill('SIGTERM');
  };
  process.on('SIGTERM', onTerm);
  const worker = async () => {
    for (let job = stopped ? undefined : queue.shift(); job !== undefined; job = stopped ? undefined : queue.shift()) {
      const outcome = await runJob(job, options, slots, running);
      outcomes.push(outcome);
      writeSummary();
      options.onJobEnd?.(outcome);
    }
  };
  try {
    await Promise.all(Array.from({ length: slots }, worker));
  } finally {
    process.off('SIGTERM', onTerm);
  }
  writeSummary();
  if (stopped) {
    throw new PreemptedError(
      `SIGTERM: the running jobs stopped with a checkpoint and ${queue.length} did not start; continue the sweep with --resume and --sweep-dir ${options.sweepDir}`,
    );
  }
  return outcomes.sort((a, b) => a.index - b.index);
}

/**
 * What a sweep launcher is given and reports per job, apart from how it runs them (local
 * processes, ../launch/launcher.ts; a Slurm job array, ../launch/slurm/launch.ts), so that both import it.
 */
import type { SlurmLauncherConfig } from '../../config/index.js';

export interface SweepJob {
  index: number;
  overrides: string[];
}

export interface JobOutcome {
  index: number;
  overrides: string[];
  runDir: string;
  /** pending: submitted to a cluster and not finished when the summary was written. */
  status: 'ok' | 'failed' | 'skipped' | 'pending';
  exitCode: number | null;
  seconds: number;
  /** Final metrics the job wrote to results.json, when it finished. */
  results?: Record<string, unknown>;
  /** Last lines of the job's log when it failed. */
  error?: string;
}

export interface LaunchOptions {
  sweepDir: string;
  jobs: number;
  /** Arguments put before the overrides (e.g. ['--config-dir', dir]). */
  extraArgs?: string[];
  /** Reuse finished jobs (results.json present) instead of running them again. */
  skipFinished?: boolean;
  /** Start every job over (`rvos train --overwrite`); otherwise a job resumes when it can (`--resume=auto`). */
  overwrite?: boolean;
  onJobEnd?(outcome: JobOutcome): void;
  onJobStart?(job: SweepJob, runDir: string): void;
  /** launcher=slurm: submit one job array instead of running processes here; wait=false returns once submitted. */
  slurm?: { config: SlurmLauncherConfig; wait: boolean; log(line: string): void };
}

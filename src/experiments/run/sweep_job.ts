/**
 * What a sweep launcher is given and reports per job, apart from how it runs them (local
 * processes, ../launch/launcher.ts; a Slurm job array, ../launch/slurm/launch.ts), so that both import it.
 */
import fs from 'node:fs';
import path from 'node:path';
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

/** A job folder's record of a run copied from another sweep (`rvos experiment --reuse`, ../launch/reuse_runs.ts). */
export const REUSED_FILE = 'reused.json';

export interface ReusedRecord {
  /** The run folder the copy came from (the first one, when that was itself a copy). */
  from: string;
  /** When the copy was made (ISO time). */
  copied: string;
  /** Copied from a committed summary: results and config, no weights (sections that score checkpoints cannot score it). */
  scoresOnly?: true;
}

/** The record a job folder holds when its run was copied from another sweep, else null. */
export function readReused(runDir: string): ReusedRecord | null {
  const file = path.join(runDir, REUSED_FILE);
  if (!fs.existsSync(file)) return null;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as ReusedRecord;
  } catch {
    return null;
  }
}

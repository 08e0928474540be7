/**
 * Run folders, laid out as Hydra does: <root>/<YYYY-MM-DD>/<HH-MM-SS>[_name] for a run and
 * <root>/multirun/<YYYY-MM-DD>/<HH-MM-SS>/ for a sweep (jobs in numbered subfolders). Local time.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, TrainingError } from '../utils/errors.js';
import { activeLock, describeLock } from './run_lock.js';

const pad = (n: number) => String(n).padStart(2, '0');

/** { date: 'YYYY-MM-DD', time: 'HH-MM-SS' } in local time. */
export function runStamp(now: Date = new Date()): { date: string; time: string } {
  return {
    date: `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`,
    time: `${pad(now.getHours())}-${pad(now.getMinutes())}-${pad(now.getSeconds())}`,
  };
}

/** Creates and returns a new, unique run folder root/YYYY-MM-DD/HH-MM-SS[_name]. */
export function createRunDir(root: string, name?: string | null, now: Date = new Date()): string {
  const { date, time } = runStamp(now);
  const suffix = name ? `_${safeName(name)}` : '';
  return createUnique(path.join(root, date), `${time}${suffix}`);
}

/** Creates and returns a new, unique sweep folder root/multirun/YYYY-MM-DD/HH-MM-SS. */
export function createSweepDir(root: string, now: Date = new Date()): string {
  const { date, time } = runStamp(now);
  return createUnique(path.join(root, 'multirun', date), time);
}

/** Keeps a name usable as one path component. */
function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._=,+-]/g, '_');
}

/** mkdir parent/base, or parent/base_2, _3 ... if taken (mkdir is the atomic claim). */
function createUnique(parent: string, base: string): string {
  fs.mkdirSync(parent, { recursive: true });
  for (let n = 1; ; n++) {
    const dir = path.join(parent, n === 1 ? base : `${base}_${n}`);
    try {
      fs.mkdirSync(dir);
      return dir;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

/** What `rvos train` writes into a run folder; --overwrite and a fresh start remove exactly these. */
export const RUN_OUTPUTS = ['.hydra', 'checkpoints', 'tb', 'model', 'predictions', 'eval', 'results.json', 'progress.json'] as const;

/** Entries that do not make a folder "used": the lock and log files a launcher writes beside a run. */
function incidental(name: string): boolean {
  return name.startsWith('.rvos.lock') || /\.(log|out|err)$/.test(name);
}

export type RunDirState =
  /** No folder, or only logs / a lock in it. */
  | { kind: 'empty' }
  /** A run that finished (results.json). */
  | { kind: 'finished' }
  /** An unfinished run with a checkpoint to continue from. */
  | { kind: 'resumable'; step: number }
  /** Outputs of a run that stopped before its first checkpoint, or files rvos did not write. */
  | { kind: 'used'; entries: string[]; rvosOnly: boolean };

/** Reads what a run folder holds (read-only). */
export function runDirState(dir: string): RunDirState {
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'empty' };
    throw err;
  }
  if (entries.includes('results.json')) return { kind: 'finished' };
  const latest = path.join(dir, 'checkpoints', 'latest.json');
  if (fs.existsSync(latest)) {
    let step = NaN;
    try {
      step = Number((JSON.parse(fs.readFileSync(latest, 'utf8')) as { step?: unknown }).step);
    } catch {
      // Damaged pointer: loading the checkpoint reports it with the file named.
    }
    return { kind: 'resumable', step };
  }
  const used = entries.filter((e) => !incidental(e));
  if (used.length === 0) return { kind: 'empty' };
  return { kind: 'used', entries: used.sort(), rvosOnly: used.every((e) => (RUN_OUTPUTS as readonly string[]).includes(e)) };
}

export interface RunDirPolicy {
  /** false: the folder must be new or empty; true: it must hold a checkpoint; 'auto': resume if it does. */
  resume: boolean | 'auto';
  /** Start over in a folder that holds a run (its rvos outputs are removed). */
  overwrite: boolean;
}

export type RunStart = { action: 'fresh'; clear: boolean } | { action: 'resume'; step: number } | { action: 'finished' };

/**
 * Decides how a training run starts in `dir` under the --resume / --overwrite policy, or throws a
 * ConfigError that says what the folder holds and which flag to use. Read-only; `clear` asks the
 * caller to remove the folder's rvos outputs before starting.
 */
export function decideRunStart(dir: string, policy: RunDirPolicy): RunStart {
  if (policy.overwrite && policy.resume !== false) throw new ConfigError('--overwrite starts the run over and --resume continues it; pass only one');
  const state = runDirState(dir);
  if (policy.overwrite) return { action: 'fresh', clear: state.kind !== 'empty' };
  switch (state.kind) {
    case 'finished':
      if (policy.resume !== false) return { action: 'finished' };
      throw new ConfigError(`run folder ${dir} already holds a finished run (results.json); choose a new --run-dir, or pass --overwrite to replace it`);
    case 'resumable':
      if (policy.resume !== false) return { action: 'resume', step: state.step };
      throw new ConfigError(
        `run folder ${dir} holds an unfinished run (checkpoint at step ${state.step}); continue it with --resume, or pass --overwrite to start over`,
      );
    case 'empty':
      if (policy.resume === true) {
        const why = fs.existsSync(dir) ? 'has no checkpoint' : 'does not exist';
        throw new ConfigError(
          `--resume: run folder ${dir} ${why}, so there is nothing to resume; check the path, or use --resume=auto to start a new run there when there is nothing to resume`,
        );
      }
      return { action: 'fresh', clear: false };
    case 'used':
      if (policy.resume === true) {
        throw new ConfigError(
          `--resume: run folder ${dir} has no checkpoint (it holds ${state.entries.join(', ')}), so there is nothing to resume; ` +
            'use --resume=auto to start over there, or --overwrite',
        );
      }
      // 'auto' restarts a run that died before its first checkpoint (a requeued job); anything
      // that rvos did not write stays, and is never a reason to refuse under auto.
      if (policy.resume === 'auto') return { action: 'fresh', clear: true };
      throw new ConfigError(
        `run folder ${dir} is not empty (it holds ${state.entries.join(', ')}); choose a new --run-dir, or pass --overwrite to start over there`,
      );
  }
}

/** Removes the rvos outputs (RUN_OUTPUTS) of a run folder, leaving logs, the lock and other files. */
export function clearRunOutputs(dir: string): void {
  for (const name of RUN_OUTPUTS) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
}

/**
 * A sweep folder given by the user must not be in use by another launcher, and must be new or
 * empty unless --resume (finished jobs are reused, the others resume) or --overwrite (every job
 * starts over). Throws a TrainingError / ConfigError that says which.
 */
export function checkSweepDir(dir: string, policy: RunDirPolicy): void {
  if (policy.overwrite && policy.resume !== false) throw new ConfigError('--overwrite starts the sweep over and --resume continues it; pass only one');
  const owner = activeLock(dir);
  if (owner !== undefined) throw new TrainingError(describeLock(dir, owner));
  if (policy.resume !== false || policy.overwrite) return;
  let entries: string[] = [];
  try {
    entries = fs.readdirSync(dir).filter((e) => !incidental(e));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (entries.length > 0) {
    throw new ConfigError(
      `sweep folder ${dir} is not empty (it holds ${entries.slice(0, 5).join(', ')}${entries.length > 5 ? ', …' : ''}); continue it with --resume, start it over with --overwrite, or choose a new folder`,
    );
  }
}

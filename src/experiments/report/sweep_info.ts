/**
 * Where a sweep's numbers came from: the command, the code's commit, the machine and the wall
 * time, kept in `<sweepDir>/sweep.json` (written when the sweep starts, completed when it ends), so
 * results committed under docs/results/ can say how to reproduce them.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../../utils/fs.js';

export const SWEEP_INFO_FILE = 'sweep.json';

export interface SweepInfo {
  experiment: string | null;
  /** The command line that ran it. */
  command: string;
  /** git commit of the code (null outside a git checkout), and whether tracked files had changes. */
  commit: string | null;
  dirty: boolean;
  machine: string;
  /** Jobs run at once. */
  parallel: number;
  started: string;
  finished: string | null;
  /** From `started` to `finished`; for a resumed sweep, the last session only (`resumed`). */
  wallSeconds: number | null;
  resumed: boolean;
}

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/** CPU model × count, memory, OS, Node: what the wall time depends on. */
export function machineDescription(): string {
  const cpus = os.cpus();
  return `${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}`;
}

/** An argument as a POSIX shell would need it (quoted only when it has to be). */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_=.,/:+@%-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function startSweepInfo(sweepDir: string, experiment: string | null, command: string, parallel: number, resumed = false): SweepInfo {
  const commit = git(['rev-parse', 'HEAD']);
  const info: SweepInfo = {
    experiment,
    command,
    commit,
    dirty: commit !== null && (git(['status', '--porcelain', '--untracked-files=no']) ?? '') !== '',
    machine: machineDescription(),
    parallel,
    started: new Date().toISOString(),
    finished: null,
    wallSeconds: null,
    resumed,
  };
  writeFileAtomic(path.join(sweepDir, SWEEP_INFO_FILE), JSON.stringify(info, null, 2));
  return info;
}

export function finishSweepInfo(sweepDir: string, info: SweepInfo): SweepInfo {
  const finished = new Date();
  const done = { ...info, finished: finished.toISOString(), wallSeconds: (finished.getTime() - Date.parse(info.started)) / 1000 };
  writeFileAtomic(path.join(sweepDir, SWEEP_INFO_FILE), JSON.stringify(done, null, 2));
  return done;
}

/** The sweep's record, or null for a sweep run before it was kept. */
export function readSweepInfo(sweepDir: string): SweepInfo | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(sweepDir, SWEEP_INFO_FILE), 'utf8')) as SweepInfo;
  } catch {
    return null;
  }
}

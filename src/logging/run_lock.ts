/**
 * One writer per run folder: `<dir>/.rvos.lock` holds the owner's pid, host and start time. It is
 * created with O_EXCL (open 'wx'), so of two processes starting at once exactly one gets it. A
 * lock whose process is gone (same host, pid not alive or reused since) is stale and taken over:
 * a run killed with SIGKILL does not block its own --resume.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TrainingError } from '../utils/errors.js';
import { pidAlive } from '../utils/fs.js';
import { faultPoint } from '../utils/fault.js';

export const LOCK_FILE = '.rvos.lock';

export interface LockInfo {
  pid: number;
  host: string;
  /** When the owner took the lock, ISO 8601. */
  started: string;
  /** What the owner runs (e.g. `rvos train`), for the message a second writer gets. */
  command: string;
}

export interface RunLock {
  readonly dir: string;
  readonly file: string;
  readonly info: LockInfo;
  /** Removes the lock if it is still ours; calling it twice is harmless. */
  release(): void;
}

function readLock(file: string): LockInfo | undefined {
  try {
    const info = JSON.parse(fs.readFileSync(file, 'utf8')) as LockInfo;
    return typeof info.pid === 'number' && typeof info.host === 'string' ? info : undefined;
  } catch {
    return undefined;
  }
}

/** Start time (ms since the epoch) of a live process, from /proc on Linux; undefined elsewhere. */
function processStartMs(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime, clock ticks since boot) counts from after the parenthesised name.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    const btime = Number(/^btime (\d+)$/m.exec(fs.readFileSync('/proc/stat', 'utf8'))?.[1]);
    // USER_HZ is 100 on every Linux that Node supports.
    return Number.isFinite(ticks) && Number.isFinite(btime) ? btime * 1000 + ticks * 10 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether a lock's owner is certainly gone. Only decidable on this host: a pid that is not alive,
 * or alive but started after the lock was taken (the pid was reused).
 */
export function lockIsStale(info: LockInfo): boolean {
  if (info.host !== os.hostname()) return false;
  if (info.pid === process.pid) return false;
  if (!pidAlive(info.pid)) return true;
  const started = processStartMs(info.pid);
  const taken = Date.parse(info.started);
  // Clock ticks and the ISO time differ by rounding; a reused pid started well after the lock.
  return started !== undefined && Number.isFinite(taken) && started > taken + 2000;
}

/** The live lock on `dir` held by another process, if any (read-only; stale locks count as none). */
export function activeLock(dir: string): LockInfo | undefined {
  const info = readLock(path.join(dir, LOCK_FILE));
  if (info === undefined || info.pid === process.pid) return undefined;
  return lockIsStale(info) ? undefined : info;
}

export function describeLock(dir: string, info: LockInfo): string {
  return (
    `run folder ${dir} is in use by ${info.command || 'another rvos process'} (pid ${info.pid} on ${info.host}, since ${info.started}); ` +
    `wait for it to finish or choose another folder. If that process is gone (another machine), delete ${path.join(dir, LOCK_FILE)}`
  );
}

const held = new Map<string, RunLock>();
let exitHookInstalled = false;

/**
 * Takes the lock on `dir` (created if missing) or throws a TrainingError naming the owner. The lock
 * is released by `release()`, and at the latest when this process exits.
 */
export function acquireRunLock(dir: string, command: string): RunLock {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, LOCK_FILE);
  const existing = held.get(path.resolve(file));
  if (existing !== undefined) return existing;
  const info: LockInfo = { pid: process.pid, host: os.hostname(), started: new Date().toISOString(), command };
  const text = `${JSON.stringify(info)}\n`;
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx');
      try {
        fs.writeSync(fd, text);
      } finally {
        fs.closeSync(fd);
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 5) throw err;
    }
    const owner = readLock(file);
    // An unreadable lock is one being written this instant (or damaged): give its writer a moment.
    if (owner === undefined) {
      if (attempt < 2) {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
        continue;
      }
      throw new TrainingError(`run folder ${dir} has an unreadable lock file ${file}; if no rvos process uses this folder, delete it`);
    }
    if (!lockIsStale(owner)) throw new TrainingError(describeLock(dir, owner));
    takeOverStale(file, owner);
  }
  let released = false;
  const lock: RunLock = {
    dir,
    file,
    info,
    release: () => {
      if (released) return;
      released = true;
      held.delete(path.resolve(file));
      const now = readLock(file);
      if (now !== undefined && now.pid === info.pid && now.started === info.started) {
        faultPoint('run-lock-release', file);
        fs.rmSync(file, { force: true });
      }
    },
  };
  held.set(path.resolve(file), lock);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const l of [...held.values()]) {
        try {
          l.release();
        } catch {
          // Exiting anyway; a lock left behind is detected as stale by the next run.
        }
      }
    });
  }
  return lock;
}

/**
 * Removes a stale lock. Two processes may find the same stale lock at once; renaming it to a name
 * unique to the stale owner lets only one of them remove exactly that file, never a fresh lock
 * the other has created in the meantime (that one is checked again by the O_EXCL open).
 */
function takeOverStale(file: string, owner: LockInfo): void {
  const aside = `${file}.stale-${owner.pid}-${process.pid}`;
  try {
    fs.renameSync(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const moved = readLock(aside);
  if (moved !== undefined && (moved.pid !== owner.pid || moved.started !== owner.started)) {
    // We moved a newer, live lock: put it back (link fails rather than replace a third one).
    try {
      fs.linkSync(aside, file);
    } finally {
      fs.rmSync(aside, { force: true });
    }
    throw new TrainingError(describeLock(path.dirname(file), moved));
  }
  fs.rmSync(aside, { force: true });
}

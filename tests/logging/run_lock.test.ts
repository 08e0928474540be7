// The run-folder lock and start policy, in-process: O_EXCL ownership, stale locks (dead pid) taken
// over, live or foreign-host locks refused, and the --resume / --resume=auto / --overwrite table.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireRunLock, activeLock, checkSweepDir, decideRunStart, LOCK_FILE, type LockInfo } from '../../src/logging/index.js';
import { removeStaleTemporaries, writeFileAtomic } from '../../src/utils/fs.js';

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'rvos-lock-'));
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));
let n = 0;
const dir = () => path.join(base, `d${n++}`);

/** The pid of a process that has exited (so it is not alive). */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

function writeLock(d: string, info: Partial<LockInfo>): void {
  fs.mkdirSync(d, { recursive: true });
  const full: LockInfo = { pid: process.ppid, host: os.hostname(), started: new Date().toISOString(), command: 'rvos train', ...info };
  fs.writeFileSync(path.join(d, LOCK_FILE), JSON.stringify(full));
}

describe('acquireRunLock', () => {
  it('writes pid, host and start time, and release removes it', () => {
    const d = dir();
    const lock = acquireRunLock(d, 'rvos train');
    const info = JSON.parse(fs.readFileSync(path.join(d, LOCK_FILE), 'utf8')) as LockInfo;
    expect(info).toMatchObject({ pid: process.pid, host: os.hostname(), command: 'rvos train' });
    expect(Date.parse(info.started)).toBeGreaterThan(Date.now() - 60_000);
    lock.release();
    lock.release();
    expect(fs.existsSync(path.join(d, LOCK_FILE))).toBe(false);
  });

  it('refuses a lock held by a live process, naming it, and one from another host', () => {
    const live = dir();
    writeLock(live, { pid: process.ppid, started: new Date().toISOString() });
    expect(activeLock(live)?.pid).toBe(process.ppid);
    expect(() => acquireRunLock(live, 'rvos train')).toThrow(new RegExp(`in use by rvos train \\(pid ${process.ppid} on ${os.hostname()}`));
    const foreign = dir();
    writeLock(foreign, { pid: deadPid(), host: 'elsewhere.example' });
    expect(() => acquireRunLock(foreign, 'rvos train')).toThrow(/on elsewhere\.example.*delete .*\.rvos\.lock/);
  });

  it('takes a lock over when its pid was reused by a process started after it', () => {
    // The parent (the test runner) started seconds ago, after a lock dated an hour back.
    const d = dir();
    writeLock(d, { pid: process.ppid, started: new Date(Date.now() - 3_600_000).toISOString() });
    expect(activeLock(d)).toBeUndefined();
  });

  it('takes over a stale lock whose process is gone', () => {
    const d = dir();
    const pid = deadPid();
    writeLock(d, { pid });
    expect(activeLock(d)).toBeUndefined();
    const lock = acquireRunLock(d, 'rvos train');
    expect(JSON.parse(fs.readFileSync(path.join(d, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    expect(fs.readdirSync(d)).toEqual([LOCK_FILE]);
    lock.release();
  });
});

describe('decideRunStart', () => {
  const never = { resume: false, overwrite: false } as const;
  const strict = { resume: true, overwrite: false } as const;
  const auto = { resume: 'auto', overwrite: false } as const;
  const overwrite = { resume: false, overwrite: true } as const;

  it('follows the policy table', () => {
    const missing = dir();
    expect(decideRunStart(missing, never)).toEqual({ action: 'fresh', clear: false });
    expect(decideRunStart(missing, auto)).toEqual({ action: 'fresh', clear: false });
    expect(() => decideRunStart(missing, strict)).toThrow(/does not exist, so there is nothing to resume/);

    const logsOnly = dir();
    fs.mkdirSync(logsOnly);
    fs.writeFileSync(path.join(logsOnly, 'train.log'), 'x');
    expect(decideRunStart(logsOnly, never)).toEqual({ action: 'fresh', clear: false });
    expect(() => decideRunStart(logsOnly, strict)).toThrow(/has no checkpoint/);

    const early = dir();
    fs.mkdirSync(path.join(early, '.hydra'), { recursive: true });
    fs.mkdirSync(path.join(early, 'tb'));
    expect(() => decideRunStart(early, never)).toThrow(/is not empty \(it holds \.hydra, tb\).*--overwrite/);
    expect(() => decideRunStart(early, strict)).toThrow(/has no checkpoint \(it holds \.hydra, tb\).*--resume=auto/);
    expect(decideRunStart(early, auto)).toEqual({ action: 'fresh', clear: true });
    expect(decideRunStart(early, overwrite)).toEqual({ action: 'fresh', clear: true });

    const unfinished = dir();
    writeFileAtomic(path.join(unfinished, 'checkpoints', 'latest.json'), JSON.stringify({ step: 7, dir: 'step-000007' }));
    expect(decideRunStart(unfinished, strict)).toEqual({ action: 'resume', step: 7 });
    expect(decideRunStart(unfinished, auto)).toEqual({ action: 'resume', step: 7 });
    expect(() => decideRunStart(unfinished, never)).toThrow(/unfinished run \(checkpoint at step 7\); continue it with --resume/);

    const finished = dir();
    writeFileAtomic(path.join(finished, 'results.json'), '{}');
    expect(decideRunStart(finished, strict)).toEqual({ action: 'finished' });
    expect(decideRunStart(finished, auto)).toEqual({ action: 'finished' });
    expect(() => decideRunStart(finished, never)).toThrow(/already holds a finished run/);
    expect(decideRunStart(finished, overwrite)).toEqual({ action: 'fresh', clear: true });
    expect(() => decideRunStart(finished, { resume: true, overwrite: true })).toThrow(/pass only one/);
  });

  it('checks a sweep folder the same way', () => {
    const sweep = dir();
    expect(() => checkSweepDir(sweep, { resume: false, overwrite: false })).not.toThrow();
    fs.mkdirSync(path.join(sweep, '0'), { recursive: true });
    expect(() => checkSweepDir(sweep, { resume: false, overwrite: false })).toThrow(/sweep folder .* is not empty .*--resume/);
    expect(() => checkSweepDir(sweep, { resume: true, overwrite: false })).not.toThrow();
    writeLock(sweep, { pid: process.ppid, command: 'rvos sweep' });
    expect(() => checkSweepDir(sweep, { resume: true, overwrite: false })).toThrow(/is in use by rvos sweep/);
  });
});

describe('removeStaleTemporaries', () => {
  it('removes temporaries of dead writers (files and checkpoint folders), keeps live ones and real files', () => {
    const d = dir();
    const dead = deadPid();
    fs.mkdirSync(path.join(d, 'checkpoints', `.step-000004.${dead}.tmp`), { recursive: true });
    fs.writeFileSync(path.join(d, 'checkpoints', `.step-000004.${dead}.tmp`, 'x'), '');
    fs.writeFileSync(path.join(d, 'checkpoints', `latest.json.${dead}.3.tmp`), '');
    fs.writeFileSync(path.join(d, 'checkpoints', `latest.json.${process.ppid}.1.tmp`), '');
    fs.writeFileSync(path.join(d, 'checkpoints', 'latest.json'), '{}');
    const removed = removeStaleTemporaries(d)
      .map((p) => path.basename(p))
      .sort();
    expect(removed).toEqual([`.step-000004.${dead}.tmp`, `latest.json.${dead}.3.tmp`]);
    expect(fs.readdirSync(path.join(d, 'checkpoints')).sort()).toEqual(['latest.json', `latest.json.${process.ppid}.1.tmp`]);
  });
});

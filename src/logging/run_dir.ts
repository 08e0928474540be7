/**
 * Run folders, laid out as Hydra does: <root>/<YYYY-MM-DD>/<HH-MM-SS>[_name] for a run and
 * <root>/multirun/<YYYY-MM-DD>/<HH-MM-SS>/ for a sweep (jobs in numbered subfolders). Local time.
 */
import fs from 'node:fs';
import path from 'node:path';

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

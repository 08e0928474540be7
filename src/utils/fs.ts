/** File helpers that never leave a half-written file behind. */
import fs from 'node:fs';
import path from 'node:path';

let counter = 0;

/** Writes to a temporary file beside `file`, then renames it into place (atomic on POSIX). */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${counter++}.tmp`;
  try {
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/** Async variant of {@link writeFileAtomic}. */
export async function writeFileAtomicAsync(file: string, data: string | Uint8Array): Promise<void> {
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${counter++}.tmp`;
  try {
    const handle = await fs.promises.open(tmp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.promises.rename(tmp, file);
  } catch (err) {
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
}

/** Temporary names this project writes: `<file>.<pid>.<n>.tmp` (above) and `.<name>.<pid>.tmp` (checkpoint folders). */
const TEMPORARY = /\.(\d+)(?:\.\d+)?\.tmp$/;

/** Whether process `pid` runs on this host (EPERM: it runs, as another user). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temporaries an interrupted write left under `dir` (recursively): those whose writer
 * (the pid in the name) is this process or no longer alive. Returns the paths removed.
 */
export function removeStaleTemporaries(dir: string): string[] {
  const removed: string[] = [];
  const walk = (d: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const e of entries) {
      const full = path.join(d, e.name);
      const m = TEMPORARY.exec(e.name);
      if (m !== null) {
        const pid = Number(m[1]);
        if (pid === process.pid || !pidAlive(pid)) {
          fs.rmSync(full, { recursive: true, force: true });
          removed.push(full);
        }
      } else if (e.isDirectory()) {
        walk(full);
      }
    }
  };
  walk(dir);
  return removed;
}

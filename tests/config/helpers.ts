import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const REPO_CONFIGS = path.resolve(import.meta.dirname, '../../configs');

/** A temp folder with the given files (path → text). */
export function writeTree(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rvos-cfg-'));
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

/** A copy of the repo's configs/ with some files replaced or added. */
export function copyConfigs(changes: Record<string, string> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rvos-configs-'));
  fs.cpSync(REPO_CONFIGS, dir, { recursive: true });
  for (const [file, text] of Object.entries(changes)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

/** The message of the error `fn` throws (fails the test if it does not throw). */
export function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error, none was thrown');
}

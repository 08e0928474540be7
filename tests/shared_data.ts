/**
 * Files a clone does not have: real DAVIS videos for the checks on real data. The environment
 * variable RVOS_SHARED_DATA names the folder that holds them (`davis-real/`, a DAVIS-2017 subset
 * with result folders; `davis-real-tennis/`); checks that need one are skipped, and say why, when
 * it is unset or lacks the folder.
 */
import fs from 'node:fs';
import path from 'node:path';

export const SHARED_DATA_VARIABLE = 'RVOS_SHARED_DATA';

/** `<RVOS_SHARED_DATA>/<name>` when the variable is set and that path exists, else null. */
export function sharedData(name: string): string | null {
  const root = process.env[SHARED_DATA_VARIABLE];
  if (root === undefined || root === '') return null;
  const full = path.resolve(root, name);
  return fs.existsSync(full) ? full : null;
}

/** A test title suffix saying what a skipped check needs. */
export function needsSharedData(name: string): string {
  return sharedData(name) === null ? ` (skipped: set ${SHARED_DATA_VARIABLE} to a folder holding ${name}/)` : '';
}

// Spawning the real `rvos` executable: what a user sees (stderr, exit code), process-level
// handlers included. Spawns are slow on a shared 2-core machine, so tests keep them few.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { expect } from 'vitest';

export const BIN = path.resolve('bin/rvos.mjs');

export interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function rvos(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, RVOS_DEBUG: undefined, RVOS_FAULT: undefined, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
}

/** The error lines of stderr: everything but the backend report and progress lines. */
export function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.trim().length > 0 && !l.startsWith('[rvos]') && !/^\S+: step \d+\//.test(l));
}

/** A failure a user can read: non-zero exit, exactly one error line matching `pattern`, no stack frames. */
export function expectOneLineError(r: CliResult, pattern: RegExp, exitCode?: number): string {
  expect(r.status, r.stderr).not.toBe(0);
  if (exitCode !== undefined) expect(r.status, r.stderr).toBe(exitCode);
  const lines = errorLines(r.stderr);
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  return lines[0]!;
}

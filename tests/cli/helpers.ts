// Spawning the real `rvos` executable: what a user sees (stderr, exit code), process-level
// handlers included. Spawns are slow on a shared 2-core machine, so tests keep them few.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { expect } from 'vitest';

export const BIN = path.resolve('bin/rvos.mjs');

/**
 * A training run small enough to spawn many times (32x32, 3 training videos of 4 frames, hidden 8,
 * a checkpoint every step): the shared settings of the CLI tests that train, stop and resume runs.
 * `root` holds its synthetic data; the caller adds train.steps and its own keys.
 */
export function tinyRunOverrides(synthRoot: string): string[] {
  return [
    'backend=wasm',
    `data.root=${synthRoot}`,
    'data.size=[32,32]',
    'data.batch_size=2',
    'data.clip_length=3',
    'data.prefetch=1',
    'data.max_objects=2',
    'data.synth.train_videos=3',
    'data.synth.val_videos=1',
    'data.synth.test_videos=1',
    'data.synth.frames=4',
    'model.hidden=8',
    'train.val_every=5',
    'train.ckpt_every=1',
    'train.log_every=1',
  ];
}

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

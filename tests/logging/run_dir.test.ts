// Run folders: root/YYYY-MM-DD/HH-MM-SS[_name] (local time), unique; sweeps under multirun/.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRunDir, createSweepDir, runStamp } from '../../src/logging/index.js';

const when = new Date(2024, 0, 2, 3, 4, 5);

describe('run folders', () => {
  it('stamps date and time in local time, zero-padded', () => {
    expect(runStamp(when)).toEqual({ date: '2024-01-02', time: '03-04-05' });
  });

  it('creates unique run folders, with the name appended and made path-safe', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rvos-runs-'));
    const a = createRunDir(root, undefined, when);
    const b = createRunDir(root, null, when);
    const c = createRunDir(root, 'abl/ST 2', when);
    expect(path.relative(root, a)).toBe(path.join('2024-01-02', '03-04-05'));
    expect(path.relative(root, b)).toBe(path.join('2024-01-02', '03-04-05_2'));
    expect(path.relative(root, c)).toBe(path.join('2024-01-02', '03-04-05_abl_ST_2'));
    for (const d of [a, b, c]) expect(fs.statSync(d).isDirectory()).toBe(true);
  });

  it('sweep folders go under multirun/', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rvos-runs-'));
    expect(path.relative(root, createSweepDir(root, when))).toBe(path.join('multirun', '2024-01-02', '03-04-05'));
    expect(path.relative(root, createSweepDir(root, when))).toBe(path.join('multirun', '2024-01-02', '03-04-05_2'));
  });
});

// The sweep summary lists finished runs (--resume, --reuse) before any job trains: a sweep stopped
// early used to list only the jobs its queue had reached, so a finished job after the running one
// was missing from an in-progress page.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { launchSweep } from '../../src/experiments/launch/launcher.js';

describe('the sweep summary', () => {
  it('holds every finished job when the first job to run starts, in job order', async () => {
    const sweepDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rvos-summary-'));
    try {
      for (const index of [1, 2]) {
        fs.mkdirSync(path.join(sweepDir, String(index)), { recursive: true });
        fs.writeFileSync(path.join(sweepDir, String(index), 'results.json'), JSON.stringify({ 'J&F-Mean': index / 10 }));
      }
      let atStart: { index: number; status: string }[] | null = null;
      const ended: number[] = [];
      const outcomes = await launchSweep(
        [0, 1, 2].map((index) => ({ index, overrides: ['no_such_group=1'] })), // job 0 runs and fails at once
        {
          sweepDir,
          jobs: 1,
          skipFinished: true,
          onJobStart: () => (atStart = JSON.parse(fs.readFileSync(path.join(sweepDir, 'summary.json'), 'utf8')).jobs),
          onJobEnd: (o) => ended.push(o.index),
        },
      );
      expect(atStart!.map((j) => [j.index, j.status])).toEqual([
        [1, 'skipped'],
        [2, 'skipped'],
      ]);
      expect(outcomes.map((o) => [o.index, o.status])).toEqual([
        [0, 'failed'],
        [1, 'skipped'],
        [2, 'skipped'],
      ]);
      expect(ended).toEqual([1, 2, 0]);
      const summary = JSON.parse(fs.readFileSync(path.join(sweepDir, 'summary.json'), 'utf8')).jobs as { index: number; results?: unknown }[];
      expect(summary.map((j) => j.index)).toEqual([0, 1, 2]);
      expect(summary[2]!.results).toEqual({ 'J&F-Mean': 0.2 });
    } finally {
      fs.rmSync(sweepDir, { recursive: true, force: true });
    }
  }, 120_000);
});

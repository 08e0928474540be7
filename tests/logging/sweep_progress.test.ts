// Live sweep progress: status files written by each job's Progress, read and shown by the parent
// (plain periodic lines when not a terminal, a redrawn block on one), and the sweep ETA.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Progress, SweepProgress, sweepEta, type ProgressStatus } from '../../src/logging/index.js';

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, columns: 200, write: (s: string) => writes.push(s) } };
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'rvos-progress-'));

describe('Progress status file', () => {
  it('holds step, rate, ETA and metrics (validation J&F too), rewritten at most once a second, and phase trained at the end', () => {
    const file = path.join(tmp(), 'progress.json');
    let t = 0;
    const p = new Progress({ total: 100, stream: { write: () => undefined }, now: () => t, statusFile: file });
    const read = () => JSON.parse(fs.readFileSync(file, 'utf8')) as ProgressStatus;
    t = 500;
    p.update(1, { loss: 2 });
    expect(read()).toEqual({ step: 1, total: 100, rate: 2, eta: 49.5, metrics: { loss: 2 }, phase: 'training', updated: 500 });
    t = 1000;
    p.update(2, { loss: 1.5 }); // 500 ms later: not rewritten
    expect(read().step).toBe(1);
    t = 10_500; // 40 steps in 10.5 s
    p.update(40, { loss: 0.5, 'val J&F': 0.61 });
    expect(read()).toMatchObject({ step: 40, metrics: { loss: 0.5, 'val J&F': 0.61 }, phase: 'training', updated: 10_500 });
    expect(read().rate).toBeCloseTo(40 / 10.5, 12);
    expect(read().eta).toBeCloseTo(60 / (40 / 10.5), 9);
    p.done();
    expect(read().phase).toBe('trained');
    expect(fs.readdirSync(path.dirname(file))).toEqual(['progress.json']); // no temp file left behind
  });

  it('a resumed run (first update at step 301) counts its rate from step 300', () => {
    const file = path.join(tmp(), 'progress.json');
    let t = 0;
    const p = new Progress({ total: 600, stream: { write: () => undefined }, now: () => t, statusFile: file });
    t = 1000;
    p.update(301);
    t = 11_000;
    p.update(321);
    const s = JSON.parse(fs.readFileSync(file, 'utf8')) as ProgressStatus;
    expect(s.rate).toBeCloseTo(21 / 11, 12);
  });
});

describe('SweepProgress', () => {
  function fixture() {
    const dir = tmp();
    const status = (job: number, s: Partial<ProgressStatus>) =>
      fs.writeFileSync(
        path.join(dir, `${job}.json`),
        JSON.stringify({ step: 0, total: 600, rate: 0, eta: null, metrics: {}, phase: 'training', updated: 0, ...s }),
      );
    return { dir, status, file: (job: number) => path.join(dir, `${job}.json`) };
  }

  it('not a TTY: one plain block per interval with each running job and the sweep ETA', () => {
    const { status, file } = fixture();
    const { writes, stream } = fakeStream(false);
    let t = 1_000;
    const sp = new SweepProgress({ totalJobs: 6, parallel: 2, stream, intervalMs: 30_000, now: () => t, jobSeconds: null });
    sp.jobStarted(0, 'zero_shot seed=1', file(0));
    sp.jobStarted(1, 'one_shot seed=1', file(1));
    status(0, { step: 300, rate: 3, eta: 100, metrics: { loss: 0.31234, 'val J&F': 0.612 }, updated: 2_000 });
    status(1, { step: 600, phase: 'trained', updated: 500 }); // older than job 1's start: a previous attempt's
    t = 20_000;
    sp.tick();
    expect(writes).toEqual([]); // within the interval
    t = 31_000;
    sp.tick();
    // Per job ~ 30 s elapsed + 100 s left = 130 s; job 1 has no status yet so it counts 130 − 30 = 100 s;
    // 4 waiting jobs on 2 workers after 100 s and 100 s: 100 + 2 × 130 = 360 s.
    expect(writes).toEqual([
      '  job 0 [zero_shot seed=1]: step 300/600 (50%) loss=0.312 val J&F=0.612 3.00 it/s ETA 1m40s\n',
      '  job 1 [one_shot seed=1]: starting\n',
      '  0/6 done, 2 running, 4 waiting; sweep ETA 6m00s\n',
    ]);
    expect(writes.every((w) => !w.includes('\x1b'))).toBe(true);
    status(1, { step: 600, phase: 'trained', updated: 40_000 });
    sp.jobEnded(0, 200);
    t = 61_000;
    sp.tick();
    // Finished jobs set the per-job time (200 s): job 1 evaluating (0 s left); 4 waiting → 2 × 200 s.
    expect(writes.slice(3)).toEqual([
      '  job 1 [one_shot seed=1]: trained 600/600 steps; final evaluation\n',
      '  1/6 done, 1 running, 4 waiting; sweep ETA 6m40s\n',
    ]);
  });

  it('not a TTY, nothing running (queued on a cluster): the summary is printed once, not every interval', () => {
    const { writes, stream } = fakeStream(false);
    let t = 0;
    const sp = new SweepProgress({ totalJobs: 2, parallel: 2, stream, intervalMs: 1000, now: () => t });
    for (t = 1000; t <= 5000; t += 1000) sp.tick();
    expect(writes).toEqual(['  0/2 done, 0 running, 2 waiting; sweep ETA ?\n']);
  });

  it('TTY: redraws the block in place, and log lines print above it', () => {
    const { status, file } = fixture();
    const { writes, stream } = fakeStream(true);
    const t = 10_000;
    const sp = new SweepProgress({ totalJobs: 1, parallel: 1, stream, now: () => t });
    sp.jobStarted(3, 'ST+ seed=2', file(3));
    status(3, { step: 60, total: 120, rate: 2, eta: 30, updated: 10_000 });
    sp.tick();
    expect(writes).toEqual(['  job 3 [ST+ seed=2]: step 60/120 (50%) 2.00 it/s ETA 30s\n  0/1 done, 1 running, 0 waiting; sweep ETA 30s\n']);
    sp.tick();
    expect(writes[1]).toBe('\x1b[2A\x1b[J'); // up two lines and clear before the redraw
    const printed: string[] = [];
    sp.log('  job 2 ok', (l) => printed.push(l));
    expect(writes[3]).toBe('\x1b[2A\x1b[J');
    expect(printed).toEqual(['  job 2 ok']);
    expect(writes[4]).toMatch(/^ {2}job 3 /);
    sp.stop();
    expect(writes[5]).toBe('\x1b[2A\x1b[J'); // the block is cleared at the end
  });

  it('sweepEta: each waiting job goes to the first free worker', () => {
    expect(sweepEta([100, 40], 3, 2, 50)).toBe(150); // 40+50=90, 90+50=140 vs 100+50=150
    expect(sweepEta([], 6, 2, 600)).toBe(1800);
    expect(sweepEta([10], 0, 2, NaN)).toBe(10);
    expect(Number.isNaN(sweepEta([NaN], 1, 2, 5))).toBe(true);
  });
});

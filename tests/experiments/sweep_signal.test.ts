// A SIGTERM sent to a local sweep's launcher alone (`kill PID`) stops its running jobs with a
// checkpoint, starts no other, and ends the launcher with the pre-emption exit code; before, the
// launcher died at once and its jobs trained on with no one to record them.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PREEMPTED_EXIT_CODE } from '../../src/train/preemption.js';
import { TINY_TRAINING } from './sweep_fixture.js';

const BIN = path.resolve('bin/rvos.mjs');

const trainingStarted = (runDir: string) => {
  const log = path.join(runDir, 'train.log');
  return fs.existsSync(log) && /step \d+\/\d+/.test(fs.readFileSync(log, 'utf8'));
};

describe('a local sweep stopped by SIGTERM', () => {
  it('passes the signal to its running jobs, which checkpoint and end, starts no more, and exits 75 naming --resume', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rvos-sweep-signal-'));
    const sweepDir = path.join(root, 'sweep');
    try {
      const args = [
        BIN,
        'train',
        '-m',
        '--run-dir',
        sweepDir,
        'backend=wasm',
        `data.root=${path.join(root, 'synth')}`,
        // The fixture's tiny videos and model, with this test's own length and seeds.
        ...TINY_TRAINING.filter((o) => !/^(train\.|seed=)/.test(o)),
        // Long enough that no job ends before the signal.
        'train.steps=100000',
        'train.val_every=100000',
        'train.ckpt_every=100000',
        'train.log_every=1',
        'launcher=local',
        'launcher.jobs=2',
        'seed=1,2,3',
      ];
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      const [job0, job1, job2] = [0, 1, 2].map((i) => path.join(sweepDir, String(i)));
      for (let waited = 0; !(trainingStarted(job0!) && trainingStarted(job1!)); waited += 200) {
        if (waited > 240_000) throw new Error(`the jobs did not start training:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      child.kill('SIGTERM');
      expect(await exited).toBe(PREEMPTED_EXIT_CODE);
      expect(stderr).toMatch(/SIGTERM: the running jobs stopped with a checkpoint and 1 did not start; continue the sweep with --resume/);
      expect(stderr).not.toMatch(/\n\s+at /);
      // Both jobs ended (their run locks released) with a checkpoint short of the end; the third never started.
      for (const job of [job0!, job1!]) {
        expect(fs.existsSync(path.join(job, '.rvos.lock'))).toBe(false);
        const step = JSON.parse(fs.readFileSync(path.join(job, 'checkpoints', 'latest.json'), 'utf8')).step as number;
        expect(step).toBeGreaterThan(0);
        expect(step).toBeLessThan(100000);
      }
      expect(fs.existsSync(path.join(job2!, 'train.log'))).toBe(false);
      const summary = JSON.parse(fs.readFileSync(path.join(sweepDir, 'summary.json'), 'utf8')) as { jobs: { index: number; exitCode: number }[] };
      expect(summary.jobs.map((j) => [j.index, j.exitCode])).toEqual([
        [0, PREEMPTED_EXIT_CODE],
        [1, PREEMPTED_EXIT_CODE],
      ]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  }, 300_000);
});

// The run-folder policy, seen from the command line: a second writer is refused while the first
// holds the lock; --resume with nothing to resume and a finished folder without --resume are
// refused before anything is written; a failed input validation leaves no run folder; a failing
// write mid-training (injected: tests may run as root, where permissions do not stop writes) is
// one line naming the path and the last good checkpoint, and --resume then finishes the run with
// every TensorBoard step once.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, expectOneLineError, rvos, tinyRunOverrides } from './helpers.js';
import { readEvents, tagSteps } from './tb.js';
import { PREEMPTED_EXIT_CODE } from '../../src/train/preemption.js';

// Spawned trainings on a shared 2-core machine: generous limits (each takes ~20 s when it is idle).
const SLOW = 400_000;
const base = fs.mkdtempSync(path.join(os.tmpdir(), 'rvos-runfolder-'));
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));
const TINY = [...tinyRunOverrides(path.join(base, 'synth')), `run.root=${path.join(base, 'results')}`];

describe('rvos train run folders', () => {
  it(
    'refuses --resume with nothing to resume, a finished folder, and bad inputs, writing nothing',
    async () => {
      const finished = path.join(base, 'finished');
      fs.mkdirSync(finished);
      fs.writeFileSync(path.join(finished, 'results.json'), '{}');
      const emptyDir = path.join(base, 'empty');
      fs.mkdirSync(emptyDir);
      const [missing, empty, reuse, badData] = await Promise.all([
        rvos(['train', '--run-dir', path.join(base, 'typo'), '--resume', ...TINY]),
        rvos(['train', '--run-dir', emptyDir, '--resume', ...TINY]),
        rvos(['train', '--run-dir', finished, ...TINY]),
        rvos(['train', ...TINY, 'data=davis2017', `data.root=${path.join(base, 'no-such-davis')}`]),
      ]);
      expectOneLineError(missing, /--resume: run folder .*typo does not exist, so there is nothing to resume/);
      expectOneLineError(empty, /--resume: run folder .*empty has no checkpoint/);
      expectOneLineError(reuse, /already holds a finished run \(results\.json\); .*--overwrite/);
      expectOneLineError(badData, /no-such-davis.*does not exist/);
      expect(fs.existsSync(path.join(base, 'typo'))).toBe(false);
      expect(fs.readdirSync(emptyDir)).toEqual([]);
      expect(fs.readdirSync(finished)).toEqual(['results.json']);
      // The failed validation made no run folder under run.root.
      expect(fs.existsSync(path.join(base, 'results'))).toBe(false);
    },
    SLOW,
  );

  it(
    'lets one writer in; the second is refused with the owner named, and SIGTERM releases the lock',
    async () => {
      // SIGTERM stops training after a checkpoint (exit 75, for a requeue) or, before training has
      // begun, exits at once (143); either way the lock goes.
      const dir = path.join(base, 'shared');
      const first = spawn(process.execPath, [BIN, 'train', '--run-dir', dir, ...TINY, 'train.steps=400', 'seed=123'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let firstErr = '';
      first.stderr.on('data', (d) => (firstErr += d));
      const firstExit = new Promise<number | null>((resolve) => first.on('close', (code) => resolve(code)));
      const lock = path.join(dir, '.rvos.lock');
      for (let waited = 0; !fs.existsSync(lock); waited += 100) {
        if (waited > 300_000) throw new Error(`the first trainer never took the lock:\n${firstErr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const second = await rvos(['train', '--run-dir', dir, ...TINY, 'seed=7']);
      expectOneLineError(second, new RegExp(`run folder .*shared is in use by rvos train \\(pid ${first.pid} on `));
      first.kill('SIGTERM');
      // 143 when the signal comes before training starts; once it has, the trainer checkpoints and
      // exits 75 for a requeue (src/train/preemption.ts).
      expect([143, PREEMPTED_EXIT_CODE]).toContain(await firstExit);
      expect(fs.existsSync(lock)).toBe(false);
      expect(fs.readFileSync(path.join(dir, '.hydra', 'config.yaml'), 'utf8')).toMatch(/^seed: 123$/m);
    },
    SLOW,
  );

  it(
    'a failing write mid-training is one line with the path and the last checkpoint; --resume finishes',
    async () => {
      const dir = path.join(base, 'faulty');
      const failed = await rvos(['train', '--run-dir', dir, ...TINY, 'train.steps=10'], { RVOS_FAULT: 'checkpoint-tensors:eacces:3' });
      const line = expectOneLineError(failed, /EACCES: cannot open .*step-000003.*tensors\.bin \(permission denied\)/, 1);
      expect(line).toContain('the last good checkpoint is step 2');
      expect(line).toContain(`rvos train --run-dir ${dir} --resume`);
      expect(fs.existsSync(path.join(dir, '.rvos.lock'))).toBe(false);
      const resumed = await rvos(['train', '--run-dir', dir, '--resume']);
      expect(resumed.status, resumed.stderr).toBe(0);
      const results = JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8'));
      expect(results.resumedFrom).toBe(2);
      expect(results.steps).toBe(10);
      expect(tagSteps(path.join(dir, 'tb'), 'train/loss')).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      // TensorBoard's own rule for a restart: a SessionLog.START when the run starts, and another at the first step logged again.
      expect(
        readEvents(path.join(dir, 'tb'))
          .filter((e) => e.sessionStatus === 1)
          .map((e) => e.step),
      ).toEqual([1, 3]);
    },
    SLOW,
  );
});

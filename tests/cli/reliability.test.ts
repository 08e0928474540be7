// What a careful user runs into after a failure, seen from the command line: a damaged newest
// checkpoint (the run resumes from the last intact one, and a start that cannot resume changes
// nothing); a run that fails before its first checkpoint (the folder is left as it was, so the same
// command is accepted again); skipped videos named in results.json; a finished run whose checkpoint
// or saved weights are damaged, evaluated; a folder that became unwritable (the message names the
// last good checkpoint even though the lock cannot be removed either).
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeConfig } from '../../src/config/index.js';
import { ensureSyntheticDataset } from '../../src/experiments/run/datasets.js';
import { expectOneLineError, rvos, tinyRunOverrides } from './helpers.js';
import { tagSteps } from './tb.js';

// Spawned trainings on a shared 2-core machine: generous limits (each takes ~10 s when it is idle).
const SLOW = 600_000;
const base = fs.mkdtempSync(path.join(os.tmpdir(), 'rvos-reliability-'));
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));
const synth = path.join(base, 'synth');
const TINY = [...tinyRunOverrides(synth), `run.root=${path.join(base, 'results')}`];

beforeAll(async () => {
  await ensureSyntheticDataset(composeConfig({ configDir: 'configs', overrides: TINY }).config.data);
});

/** Every file under `dir` with a hash of its bytes: what a command must leave unchanged. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else out[path.relative(dir, full)] = crypto.createHash('sha256').update(fs.readFileSync(full)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

describe('rvos train after a failure', () => {
  it(
    'resumes from the newest intact checkpoint when the latest is truncated; with none intact it refuses and changes nothing',
    async () => {
      const dir = path.join(base, 'truncated');
      const steps = ['train.steps=30', 'train.ckpt_every=10', 'train.keep_checkpoints=5'];
      const failed = await rvos(['train', '--run-dir', dir, ...TINY, ...steps], { RVOS_FAULT: 'checkpoint-tensors:eacces:30' });
      expect(expectOneLineError(failed, /EACCES/, 1)).toContain('the last good checkpoint is step 20');
      const bin = path.join(dir, 'checkpoints', 'step-000020', 'tensors.bin');
      fs.truncateSync(bin, 1000);

      const resumed = await rvos(['train', '--run-dir', dir, '--resume']);
      expect(resumed.status, resumed.stderr).toBe(0);
      expect(resumed.stderr).toMatch(
        /warning: checkpoint \S+step-000020: tensors\.bin is truncated \(1000 bytes, .*\); resuming from step 10, the last good checkpoint/,
      );
      const results = JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8'));
      expect(results.resumedFrom).toBe(10);
      expect(results.steps).toBe(30);
      expect(fs.statSync(path.join(dir, 'checkpoints', 'step-000020.damaged', 'tensors.bin')).size).toBe(1000);
      expect(tagSteps(path.join(dir, 'tb'), 'train/loss')).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));

      // Every checkpoint damaged: --resume is refused before anything is written (no new event file).
      const none = path.join(base, 'none-intact');
      const stopped = await rvos(['train', '--run-dir', none, ...TINY, 'train.steps=4'], { RVOS_FAULT: 'checkpoint-tensors:eacces:4' });
      expect(expectOneLineError(stopped, /EACCES/, 1)).toContain('the last good checkpoint is step 3');
      for (const d of fs.readdirSync(path.join(none, 'checkpoints')).filter((e) => e.startsWith('step-'))) {
        fs.truncateSync(path.join(none, 'checkpoints', d, 'tensors.bin'), 8);
      }
      const before = snapshot(none);
      const refused = await rvos(['train', '--run-dir', none, '--resume']);
      expectOneLineError(
        refused,
        /--resume: run folder \S+none-intact has no intact checkpoint \(step-000003, step-000002, step-000001 damaged; .*truncated.*\); start it over with --overwrite/,
        1,
      );
      expect(snapshot(none)).toEqual(before);
      // --resume=auto (sweeps, Slurm requeues) starts over instead, saying why.
      const restarted = await rvos(['train', '--run-dir', none, '--resume=auto']);
      expect(restarted.status, restarted.stderr).toBe(0);
      expect(restarted.stderr).toMatch(
        /\[rvos\] warning: run folder \S+none-intact has no intact checkpoint \(step-000003, .*\); starting over \(--resume=auto\)/,
      );
      expect(JSON.parse(fs.readFileSync(path.join(none, 'results.json'), 'utf8'))).toMatchObject({ resumedFrom: null, steps: 4 });
    },
    SLOW,
  );

  it(
    'a run that fails before its first checkpoint leaves the folder as it was; skipped videos are named; slots below max_objects are warned',
    async () => {
      const bad = path.join(base, 'synth-bad');
      fs.cpSync(synth, bad, { recursive: true });
      const video = fs.readFileSync(path.join(bad, 'ImageSets', '2017', 'train.txt'), 'utf8').split('\n')[0]!;
      // Every frame of one training video has a valid header and a cut body (found when a clip reads it).
      const frames = path.join(bad, 'JPEGImages', '480p', video);
      for (const f of fs.readdirSync(frames)) {
        const bytes = fs.readFileSync(path.join(frames, f));
        fs.writeFileSync(path.join(frames, f), bytes.subarray(0, Math.floor(bytes.length * 0.6)));
      }
      const jpeg = path.join(frames, '00000.jpg');
      const fresh = path.join(base, 'fresh');
      const empty = path.join(base, 'empty');
      fs.mkdirSync(empty);
      fs.writeFileSync(path.join(empty, 'slurm-1.out'), 'a launcher log\n');
      // The only checkpoint would be the last step's: the clips reach the bad video long before.
      const args = [...TINY, `data.root=${bad}`, 'train.steps=20', 'train.ckpt_every=100', 'train.val_every=100'];
      const [inFresh, inEmpty] = await Promise.all([rvos(['train', '--run-dir', fresh, ...args]), rvos(['train', '--run-dir', empty, ...args])]);
      for (const r of [inFresh, inEmpty]) {
        const line = expectOneLineError(r, /corrupt or unreadable image/, 1);
        expect(line).toContain(frames);
        expect(line).toMatch(/is left as it was \(no checkpoint was written\); run the same command again once the cause is fixed/);
      }
      expect(fs.existsSync(fresh)).toBe(false);
      expect(fs.readdirSync(empty)).toEqual(['slurm-1.out']);

      // The same folder is accepted again: here with the bad video skipped, and one slot for two objects.
      const skipped = await rvos(['train', '--run-dir', empty, ...args, 'data.on_error=skip', 'model.slots=1']);
      expect(skipped.status, skipped.stderr).toBe(0);
      expect(skipped.stderr).toContain(
        '[rvos] warning: data.max_objects=2 is above model.slots=1: objects with ids above 1 are dropped in training and never predicted; raise model.slots to 2 (or lower data.max_objects) to keep them',
      );
      const results = JSON.parse(fs.readFileSync(path.join(empty, 'results.json'), 'utf8'));
      expect(results.skippedVideos).toBe(1);
      expect(results.skipped).toEqual([{ name: video, reason: expect.stringContaining(`${jpeg}: corrupt or unreadable image`) }]);

      // A finished run with a damaged checkpoint: --resume has nothing to do; eval --run uses the
      // saved model (intact), and refuses the saved weights once they are damaged.
      const best = JSON.parse(fs.readFileSync(path.join(empty, 'checkpoints', 'best.json'), 'utf8')).dir as string;
      fs.truncateSync(path.join(empty, 'checkpoints', best, 'tensors.bin'), 100);
      const evalArgs = ['eval', '--run', empty, '--dataset', 'davis2017', '--root', synth, '--task', 'unsupervised'];
      const evaluated = await rvos(evalArgs);
      expect(evaluated.status, evaluated.stderr).toBe(0);
      expect(evaluated.stdout).toMatch(/J&F-Mean/);
      const manifest = JSON.parse(fs.readFileSync(path.join(empty, 'model', 'weights.json'), 'utf8'));
      const weights = path.join(empty, 'model', manifest.file);
      const saved = fs.readFileSync(weights);
      saved[saved.length >> 1] ^= 0xff;
      fs.writeFileSync(weights, saved);
      const refused = await rvos(evalArgs);
      expect(expectOneLineError(refused, /weights file is damaged: its content does not match the hash in its name/, 1)).toContain(weights);
    },
    SLOW,
  );

  it(
    'a folder that became unwritable: the error names the last good checkpoint though the lock cannot be removed; --resume continues',
    async () => {
      // Tests may run as root, where permissions do not stop writes: both failures are injected.
      const dir = path.join(base, 'unwritable');
      const failed = await rvos(['train', '--run-dir', dir, ...TINY, 'train.steps=5'], { RVOS_FAULT: 'checkpoint-tensors:eacces:3,run-lock-release:eacces' });
      const line = expectOneLineError(failed, /EACCES: cannot open .*step-000003.*tensors\.bin \(permission denied\)/, 1);
      expect(line).toContain(`the last good checkpoint is step 2 in ${path.join(dir, 'checkpoints')}: continue with rvos train --run-dir ${dir} --resume`);
      // The lock could not be removed; its owner is gone, so the next run takes it over.
      expect(fs.existsSync(path.join(dir, '.rvos.lock'))).toBe(true);
      const resumed = await rvos(['train', '--run-dir', dir, '--resume']);
      expect(resumed.status, resumed.stderr).toBe(0);
      expect(JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8')).resumedFrom).toBe(2);
    },
    SLOW,
  );
});

// A run killed with SIGKILL mid-training (or in the middle of writing a checkpoint) and resumed
// ends with the same weights as an uninterrupted run with the same seed, no checkpoint is ever
// partial, no temporary is left behind, and TensorBoard holds every step once.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../src/train/checkpoint.js';
import { tinyRunOverrides } from '../cli/helpers.js';
import { tagSteps } from '../cli/tb.js';

const BIN = path.resolve('bin/rvos.mjs');
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'rvos-resume-'));
const data = tmp();
const TINY = [...tinyRunOverrides(path.join(data, 'synth')), 'train.steps=10'];

function trainSync(runDir: string, extra: string[] = [], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, 'train', '--run-dir', runDir, ...TINY, ...extra], { encoding: 'utf8', env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`rvos train failed (${r.status}):\n${r.stderr}`);
  return r;
}

function latestWeights(runDir: string): Map<string, Float32Array> {
  const ckpt = loadCheckpoint(path.join(runDir, 'checkpoints'))!;
  return new Map([...ckpt.weights].map(([n, t]) => [n, t.dataSync() as Float32Array]));
}

function expectSameWeights(reference: string, runDir: string): void {
  const a = latestWeights(reference);
  const b = latestWeights(runDir);
  expect([...b.keys()]).toEqual([...a.keys()]);
  for (const [name, wa] of a) {
    const wb = b.get(name)!;
    let maxDiff = 0;
    for (let i = 0; i < wa.length; i++) maxDiff = Math.max(maxDiff, Math.abs(wa[i]! - wb[i]!));
    expect(maxDiff, name).toBeLessThan(1e-5);
  }
}

/** Every training step logged exactly once, in order, across the event files of both processes. */
function expectStepsOnce(runDir: string): void {
  expect(tagSteps(path.join(runDir, 'tb'), 'train/loss')).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
}

let reference: string;
// Spawned trainings on a shared 2-core machine: generous limits (each takes ~10 s when it is idle).
const SLOW = 400_000;
beforeAll(() => {
  reference = path.join(tmp(), 'reference');
  trainSync(reference);
}, SLOW);

describe('rvos train --resume after SIGKILL', () => {
  it(
    'ends with the weights of an uninterrupted run',
    async () => {
      const killed = path.join(tmp(), 'killed');
      const child = spawn(process.execPath, [BIN, 'train', '--run-dir', killed, ...TINY], { stdio: 'ignore' });
      const latest = path.join(killed, 'checkpoints', 'latest.json');
      await new Promise<void>((resolve, reject) => {
        const timer = setInterval(() => {
          if (fs.existsSync(latest) && JSON.parse(fs.readFileSync(latest, 'utf8')).step >= 3) {
            clearInterval(timer);
            child.kill('SIGKILL');
            resolve();
          }
        }, 20);
        child.on('exit', () => {
          clearInterval(timer);
          reject(new Error('training finished before it could be killed'));
        });
      });
      await new Promise((r) => child.once('exit', r));
      const stepAtKill = JSON.parse(fs.readFileSync(latest, 'utf8')).step as number;
      expect(stepAtKill).toBeLessThan(10);
      // Every checkpoint folder on disk is complete (no temporary leftovers are read as checkpoints).
      for (const d of fs.readdirSync(path.join(killed, 'checkpoints')).filter((n) => n.startsWith('step-'))) {
        expect(fs.readdirSync(path.join(killed, 'checkpoints', d)).sort()).toEqual(['state.json', 'tensors.bin']);
      }
      const resumed = trainSync(killed, ['--resume']);
      expect(resumed.status).toBe(0);
      expectSameWeights(reference, killed);
      expectStepsOnce(killed);
      const results = JSON.parse(fs.readFileSync(path.join(killed, 'results.json'), 'utf8'));
      expect(results.resumedFrom).toBe(stepAtKill);
      expect(results.steps).toBe(10);
    },
    SLOW,
  );

  it(
    'killed while writing a checkpoint: the resumed run removes the partial one and ends the same',
    () => {
      const killed = path.join(tmp(), 'killed-in-write');
      // The process SIGKILLs itself after creating checkpoint 4's temporary folder, before its files.
      const r = spawnSync(process.execPath, [BIN, 'train', '--run-dir', killed, ...TINY], {
        encoding: 'utf8',
        env: { ...process.env, RVOS_FAULT: 'checkpoint-tensors:kill:4' },
      });
      expect(r.signal).toBe('SIGKILL');
      const ckpts = path.join(killed, 'checkpoints');
      expect(JSON.parse(fs.readFileSync(path.join(ckpts, 'latest.json'), 'utf8')).step).toBe(3);
      expect(fs.readdirSync(ckpts).filter((n) => n.endsWith('.tmp'))).toHaveLength(1);
      trainSync(killed, ['--resume']);
      expect(fs.readdirSync(ckpts).filter((n) => n.endsWith('.tmp'))).toEqual([]);
      expect(fs.existsSync(path.join(killed, '.rvos.lock'))).toBe(false);
      expectSameWeights(reference, killed);
      expectStepsOnce(killed);
      expect(JSON.parse(fs.readFileSync(path.join(killed, 'results.json'), 'utf8')).resumedFrom).toBe(3);
    },
    SLOW,
  );

  it(
    'a resume with a setting that changes what is computed is refused, naming the key; a new run.name or report key is not such a setting',
    () => {
      const killed = path.join(tmp(), 'killed-changed');
      const r = spawnSync(process.execPath, [BIN, 'train', '--run-dir', killed, ...TINY], {
        encoding: 'utf8',
        env: { ...process.env, RVOS_FAULT: 'checkpoint-tensors:kill:4' },
      });
      expect(r.signal).toBe('SIGKILL');
      const refused = spawnSync(process.execPath, [BIN, 'train', '--run-dir', killed, ...TINY, '--resume', 'train.lr=0.123'], { encoding: 'utf8' });
      expect(refused.status).not.toBe(0);
      expect(refused.stderr).toMatch(/was started with a different config \(train\.lr: [0-9.e-]+ -> 0\.123\)/);
      expect(refused.stderr).not.toMatch(/\n\s+at /);
      trainSync(killed, ['--resume', 'run.name=renamed', 'report.seen_videos=7']);
      expectSameWeights(reference, killed);
    },
    SLOW,
  );
});

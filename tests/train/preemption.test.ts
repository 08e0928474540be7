import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { memoryDataset, memorySequence, synthesizeVideo } from '../../src/data/index.js';
import { RVOSModel, type RVOSModelConfig } from '../../src/models/index.js';
import { BatchSource } from '../../src/experiments/run/batch_source.js';
import { train, type TrainerOptions } from '../../src/train/trainer.js';
import { loadCheckpoint } from '../../src/train/checkpoint.js';
import { PREEMPTED_EXIT_CODE, PreemptedError, stopSignalsWatched, watchStopSignals } from '../../src/train/preemption.js';
import { Rng } from '../../src/utils/rng.js';

const SIZE: [number, number] = [32, 32];
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'rvos-preempt-'));

function source() {
  const rng = new Rng(5);
  const ds = memoryDataset(
    Array.from({ length: 4 }, (_, i) => {
      const v = synthesizeVideo(rng.fork(), { frames: 4, size: SIZE, objects: [1, 2] });
      return memorySequence(`v${i}`, v.frames, v.labels);
    }),
  );
  return new BatchSource(ds, { length: 3, size: SIZE, slots: 2, augment: null, batchSize: 2, seed: 11, prefetch: 1 });
}

const modelConfig: RVOSModelConfig = {
  encoder: { name: 'light', pretrained: null },
  hidden: 8,
  slots: 2,
  recurrence: 'ST',
  mode: 'zero_shot',
  objectness: true,
  seed: 3,
};

function options(runDir: string, steps: number, resume: boolean): TrainerOptions {
  return {
    runDir,
    stages: [{ name: 'train', steps, previousMask: 'gt_prev' }],
    lr: 3e-3,
    encoderLr: 3e-3,
    weightDecay: 1e-6,
    gradClip: 5,
    loss: { slotAssignment: 'first_frame', objectnessWeight: 0.5, emptySlotWeight: 1 },
    valEvery: 0,
    ckptEvery: 100,
    patience: 0,
    logEvery: 1,
    keepCheckpoints: 2,
    resume,
  };
}

const weights = (m: RVOSModel) => new Map([...m.namedVariables()].map(([n, v]) => [n, v.dataSync() as Float32Array]));

describe('stop on a signal', () => {
  it('records the first of SIGUSR1/SIGTERM, ignores repeats, and removes its listeners', () => {
    const before = { usr1: process.listenerCount('SIGUSR1'), term: process.listenerCount('SIGTERM') };
    const signals = watchStopSignals();
    expect(signals.received).toBeNull();
    expect(stopSignalsWatched()).toBe(true);
    process.emit('SIGTERM', 'SIGTERM');
    process.emit('SIGUSR1', 'SIGUSR1');
    expect(signals.received).toBe('SIGTERM');
    signals.dispose();
    signals.dispose();
    expect(stopSignalsWatched()).toBe(false);
    expect(process.listenerCount('SIGUSR1')).toBe(before.usr1);
    expect(process.listenerCount('SIGTERM')).toBe(before.term);
    expect(new PreemptedError('x').exitCode).toBe(PREEMPTED_EXIT_CODE);
  });

  it('a SIGUSR1 recorded by the preload before training counts', () => {
    const key = Symbol.for('rvos.stopSignal');
    (globalThis as Record<symbol, unknown>)[key] = 'SIGUSR1';
    try {
      const signals = watchStopSignals();
      expect(signals.received).toBe('SIGUSR1');
      signals.dispose();
    } finally {
      delete (globalThis as Record<symbol, unknown>)[key];
    }
  });

  it('a real SIGUSR1 mid-run checkpoints the step it arrived at; resuming ends with the uninterrupted weights', async () => {
    const numTensors = tf.memory().numTensors;
    const full = await RVOSModel.create(modelConfig);
    await train(full, options(tmp(), 6, false), { batch: (s) => source().batch(s) });

    const dir = tmp();
    const first = await RVOSModel.create(modelConfig);
    const signals = watchStopSignals();
    let r;
    try {
      r = await train(first, options(dir, 6, false), {
        batch: (s) => source().batch(s),
        // The signal really goes through the OS to this process, as Slurm's would.
        onStep: (info) => void (info.step === 3 && process.kill(process.pid, 'SIGUSR1')),
        shouldStop: () => signals.received !== null,
      });
    } finally {
      signals.dispose();
    }
    first.dispose();
    expect(r.interrupted).toBe(true);
    expect(r.progress.step).toBe(3);
    const ckpt = loadCheckpoint(path.join(dir, 'checkpoints'));
    expect(ckpt?.progress.step).toBe(3);
    for (const t of ckpt!.weights.values()) t.dispose();

    const resumed = await RVOSModel.create(modelConfig);
    const r2 = await train(resumed, options(dir, 6, true), { batch: (s) => source().batch(s), shouldStop: () => false });
    expect(r2.resumedFrom).toBe(3);
    expect(r2.interrupted).toBe(false);
    const a = weights(full);
    const b = weights(resumed);
    for (const [name, wa] of a) expect(Buffer.from(b.get(name)!.buffer).equals(Buffer.from(wa.buffer)), name).toBe(true);
    full.dispose();
    resumed.dispose();
    expect(tf.memory().numTensors).toBe(numTensors);
  }, 300_000);
});

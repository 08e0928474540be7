import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { memoryDataset, memorySequence, synthesizeVideo } from '../../src/data/index.js';
import { RVOSModel, type RVOSModelConfig } from '../../src/models/index.js';
import { BatchSource } from '../../src/experiments/run/batch_source.js';
import { train, type TrainerOptions, type StepInfo } from '../../src/train/trainer.js';
import { loadCheckpoint } from '../../src/train/checkpoint.js';
import { TrainingError } from '../../src/utils/errors.js';
import { Rng } from '../../src/utils/rng.js';

const SIZE: [number, number] = [32, 32];

function dataset(videos = 4) {
  const rng = new Rng(5);
  return memoryDataset(
    Array.from({ length: videos }, (_, i) => {
      const v = synthesizeVideo(rng.fork(), { frames: 4, size: SIZE, objects: [1, 2] });
      return memorySequence(`v${i}`, v.frames, v.labels);
    }),
  );
}

function modelConfig(mode: RVOSModelConfig['mode']): RVOSModelConfig {
  return { encoder: { name: 'light', pretrained: null }, hidden: 8, slots: 2, recurrence: 'ST', mode, objectness: true, seed: 3 };
}

function options(runDir: string, steps: number, overrides: Partial<TrainerOptions> = {}): TrainerOptions {
  return {
    runDir,
    stages: [{ name: 'train', steps, previousMask: 'gt_prev' }],
    lr: 3e-3,
    encoderLr: 3e-3,
    weightDecay: 1e-6,
    gradClip: 5,
    loss: { slotAssignment: 'first_frame', objectnessWeight: 0.5, emptySlotWeight: 1 },
    valEvery: 0,
    ckptEvery: 2,
    patience: 0,
    logEvery: 1,
    keepCheckpoints: 2,
    resume: false,
    ...overrides,
  };
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'rvos-train-'));
const source = (ds = dataset()) => new BatchSource(ds, { length: 3, size: SIZE, slots: 2, augment: null, batchSize: 2, seed: 11, prefetch: 1 });

async function weightsOf(model: RVOSModel): Promise<Map<string, Float32Array>> {
  return new Map([...model.namedVariables()].map(([n, v]) => [n, v.dataSync() as Float32Array]));
}

describe('trainer', () => {
  it('lowers the one-shot loss on a fixed batch and keeps the tensor count flat', async () => {
    const model = await RVOSModel.create(modelConfig('one_shot'));
    const src = source();
    const fixed = async () => src.batch(0); // the same clips every step: the loss must go down
    const infos: StepInfo[] = [];
    await train(model, options(tmp(), 25, { ckptEvery: 100 }), { batch: fixed, onStep: (i) => infos.push(i) });
    const first = infos.slice(0, 3).reduce((a, i) => a + i.loss, 0) / 3;
    const last = infos.slice(-3).reduce((a, i) => a + i.loss, 0) / 3;
    expect(last).toBeLessThan(first * 0.8);
    expect(new Set(infos.slice(1).map((i) => i.numTensors)).size).toBe(1);
    model.dispose();
  });

  it('resumed training ends with the same weights as an uninterrupted run (zero-shot, Hungarian matching)', async () => {
    const full = await RVOSModel.create(modelConfig('zero_shot'));
    await train(full, options(tmp(), 4), { batch: (s) => source().batch(s) });
    const dir = tmp();
    const first = await RVOSModel.create(modelConfig('zero_shot'));
    await train(first, options(dir, 2), { batch: (s) => source().batch(s) });
    first.dispose();
    const resumed = await RVOSModel.create(modelConfig('zero_shot'));
    const r = await train(resumed, options(dir, 4, { resume: true }), { batch: (s) => source().batch(s) });
    expect(r.resumedFrom).toBe(2);
    const a = await weightsOf(full);
    const b = await weightsOf(resumed);
    for (const [name, wa] of a) {
      const wb = b.get(name)!;
      let maxDiff = 0;
      for (let i = 0; i < wa.length; i++) maxDiff = Math.max(maxDiff, Math.abs(wa[i]! - wb[i]!));
      expect(maxDiff, name).toBeLessThan(1e-5);
    }
    full.dispose();
    resumed.dispose();
  });

  it('stops on a non-finite loss with a clear error and leaves the last checkpoint intact', async () => {
    const dir = tmp();
    const model = await RVOSModel.create(modelConfig('one_shot'));
    const src = source();
    const poisoned = async (step: number) => {
      const b = await src.batch(step);
      if (step < 2) return b;
      const frames = tf.mul(b.frames, NaN) as tf.Tensor5D;
      b.frames.dispose();
      return { ...b, frames };
    };
    await expect(train(model, options(dir, 5), { batch: poisoned })).rejects.toThrow(TrainingError);
    await expect(train(model, options(tmp(), 5), { batch: poisoned })).rejects.toThrow(/loss became NaN at step 2.*checkpoint.*intact/s);
    const ckpt = loadCheckpoint(path.join(dir, 'checkpoints'))!;
    expect(ckpt.progress.step).toBe(2);
    for (const t of ckpt.weights.values()) {
      expect(t.dataSync().every(Number.isFinite)).toBe(true);
      t.dispose();
    }
    model.dispose();
  });
});

// Data-parallel training: one worker is the historical single-thread computation exactly; N
// workers (real threads) reproduce the in-thread sharded computation; the shard average is the
// size-weighted average of sub-batch gradients and equals the full-batch gradient when the batch
// does not depend on how it is split.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { memoryDataset, memorySequence, synthesizeVideo } from '../../src/data/index.js';
import { RVOSModel, type RVOSModelConfig } from '../../src/models/index.js';
import { BatchSource } from '../../src/experiments/run/batch_source.js';
import { Adam, clipByGlobalNorm } from '../../src/train/adam.js';
import { clipLoss, type ClipLossOptions } from '../../src/train/clip_loss.js';
import type { ClipBatch } from '../../src/data/batch.js';
import { train, type StepInfo, type TrainerOptions } from '../../src/train/trainer.js';
import { gradientsInThread, stateNames } from '../../src/train/parallel/gradients.js';
import { ShardedInThreadGradients } from '../../src/train/parallel/sharded_in_thread.js';
import { shardSizes } from '../../src/train/parallel/shards.js';
import { WorkerGradients } from '../../src/train/parallel/worker_gradients.js';
import { snapshot, restore } from '../../src/train/parallel/combine.js';
import { Rng } from '../../src/utils/rng.js';

const SIZE: [number, number] = [32, 32];
const LOSS: Omit<ClipLossOptions, 'previousMask'> = { slotAssignment: 'first_frame', objectnessWeight: 0.5, emptySlotWeight: 1 };

function dataset() {
  const rng = new Rng(8);
  return memoryDataset(
    Array.from({ length: 4 }, (_, i) => {
      const v = synthesizeVideo(rng.fork(), { frames: 4, size: SIZE, objects: [1, 2] });
      return memorySequence(`v${i}`, v.frames, v.labels);
    }),
  );
}

const config: RVOSModelConfig = {
  encoder: { name: 'light', pretrained: null },
  hidden: 8,
  slots: 2,
  recurrence: 'ST',
  mode: 'one_shot',
  objectness: true,
  seed: 4,
};
const source = (batchSize: number) => new BatchSource(dataset(), { length: 2, size: SIZE, slots: 2, augment: null, batchSize, seed: 13, prefetch: 0 });
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'rvos-parallel-'));

function options(steps: number, workers?: number): TrainerOptions {
  return {
    runDir: tmp(),
    stages: [{ name: 'train', steps, previousMask: 'gt_prev' }],
    lr: 3e-3,
    encoderLr: 2e-3,
    weightDecay: 1e-5,
    gradClip: 5,
    loss: LOSS,
    valEvery: 0,
    ckptEvery: 1000,
    patience: 0,
    logEvery: 1,
    keepCheckpoints: 1,
    resume: false,
    workers,
  };
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function expectSameWeights(a: RVOSModel, b: RVOSModel, tolerance: number): void {
  const wb = b.namedVariables();
  for (const [name, v] of a.namedVariables()) {
    expect(maxDiff(v.dataSync() as Float32Array, wb.get(name)!.dataSync() as Float32Array), name).toBeLessThanOrEqual(tolerance);
  }
}

const repeatItem = (t: tf.Tensor, times: number): tf.Tensor =>
  tf.concat(
    Array.from({ length: times }, () => tf.slice(t, 0, 1)),
    0,
  );

function disposeBatch(b: ClipBatch): void {
  tf.dispose([b.frames, b.masks, b.present, ...(b.priorMasks ? [b.priorMasks] : [])]);
}

afterAll(() => {
  tf.disposeVariables();
});

describe('data-parallel training', () => {
  it('splits batches evenly, never into empty shards', () => {
    expect(shardSizes(4, 2)).toEqual([2, 2]);
    expect(shardSizes(3, 2)).toEqual([2, 1]);
    expect(shardSizes(2, 4)).toEqual([1, 1]);
    expect(shardSizes(5, 1)).toEqual([5]);
  });

  it('workers: 1 is the historical single-thread step (same losses and weights, bit for bit)', async () => {
    const steps = 3;
    const model = await RVOSModel.create(config);
    const losses: number[] = [];
    await train(model, options(steps, 1), { batch: (s) => source(2).batch(s), onStep: (i: StepInfo) => losses.push(i.loss) });

    // The trainer loop as it was before gradient providers: variableGrads → clip → Adam.
    const reference = await RVOSModel.create(config);
    const named = reference.namedVariables();
    const encoder = new Set(reference.encoderVariables());
    const groups = [
      { variables: new Map([...named].filter(([, v]) => encoder.has(v) && v.trainable)), lr: 2e-3 },
      { variables: new Map([...named].filter(([, v]) => !encoder.has(v) && v.trainable)), lr: 3e-3 },
    ];
    const trainable = new Map([...groups[0]!.variables, ...groups[1]!.variables]);
    const nameOf = new Map([...trainable].map(([name, v]) => [v.name, name] as const));
    const adam = new Adam(groups, { weightDecay: 1e-5 });
    const expected: number[] = [];
    for (let step = 0; step < steps; step++) {
      const batch = await source(2).batch(step);
      const { value, grads } = tf.variableGrads(() => clipLoss(reference, batch, { ...LOSS, previousMask: 'gt_prev' }), [...trainable.values()]);
      disposeBatch(batch);
      expected.push(value.dataSync()[0]!);
      value.dispose();
      const gradients = new Map(Object.entries(grads).map(([k, g]) => [nameOf.get(k)!, g] as const));
      clipByGlobalNorm(gradients, 5);
      adam.apply(gradients);
      tf.dispose([...gradients.values()]);
    }
    adam.dispose();
    expect(losses).toEqual(expected);
    expectSameWeights(model, reference, 0);
    model.dispose();
    reference.dispose();
  });

  it('workers: 2 (threads) reproduces the in-thread sharded computation: losses, weights, BatchNorm statistics', async () => {
    const steps = 3;
    const threaded = await RVOSModel.create(config);
    const threadedLosses: number[] = [];
    const tensorCounts: number[] = [];
    await train(threaded, options(steps, 2), {
      batch: (s) => source(2).batch(s),
      onStep: (i) => {
        threadedLosses.push(i.loss);
        tensorCounts.push(i.numTensors);
      },
    });
    expect(new Set(tensorCounts.slice(1)).size).toBe(1);

    const inThread = await RVOSModel.create(config);
    const provider = new ShardedInThreadGradients(inThread, 2);
    const inThreadLosses: number[] = [];
    await train(inThread, options(steps), { batch: (s) => source(2).batch(s), onStep: (i) => inThreadLosses.push(i.loss), gradients: provider });
    await provider.dispose();

    for (let i = 0; i < steps; i++) expect(Math.abs(threadedLosses[i]! - inThreadLosses[i]!)).toBeLessThan(1e-6);
    expectSameWeights(threaded, inThread, 1e-6);
    // Sharding changes the computation (per-shard BatchNorm statistics): the curve differs from one full batch.
    const full = await RVOSModel.create(config);
    const fullLosses: number[] = [];
    await train(full, options(steps, 1), { batch: (s) => source(2).batch(s), onStep: (i) => fullLosses.push(i.loss) });
    expect(Math.abs(fullLosses[0]! - threadedLosses[0]!)).toBeGreaterThan(1e-6);
    threaded.dispose();
    inThread.dispose();
    full.dispose();
  });

  it('averages shard gradients by shard size, and equals the full-batch gradient on a split-independent batch', async () => {
    const model = await RVOSModel.create(config);
    const variables = model.namedVariables();
    const state = stateNames(model);
    const start = snapshot(variables, state);
    const loss: ClipLossOptions = { ...LOSS, previousMask: 'gt_prev' };
    const provider = new WorkerGradients(model, 2);
    try {
      // Three different items over two workers: shards [a, b] and [c], weights 2/3 and 1/3.
      const batch = await source(3).batch(0);
      const got = await provider.compute(batch, loss);
      restore(variables, start);
      const sub = (from: number, size: number): ClipBatch => ({
        frames: tf.slice(batch.frames, from, size),
        masks: tf.slice(batch.masks, from, size),
        present: tf.slice(batch.present, from, size),
        ...(batch.priorMasks ? { priorMasks: tf.slice(batch.priorMasks, from, size) } : {}),
      });
      const ab = sub(0, 2);
      const c = sub(2, 1);
      const gab = gradientsInThread(model, ab, loss);
      restore(variables, start);
      const gc = gradientsInThread(model, c, loss);
      restore(variables, start);
      expect(got.loss).toBeCloseTo((2 / 3) * gab.loss + (1 / 3) * gc.loss, 6);
      expect(got.gradients.size).toBe(gab.gradients.size);
      for (const [name, g] of got.gradients) {
        const want = tf.tidy(() => tf.add(tf.mul(gab.gradients.get(name)!, 2 / 3), tf.mul(gc.gradients.get(name)!, 1 / 3)).dataSync() as Float32Array);
        expect(maxDiff(g.dataSync() as Float32Array, want), name).toBeLessThan(1e-6);
      }
      tf.dispose([...got.gradients.values(), ...gab.gradients.values(), ...gc.gradients.values()]);
      [batch, ab, c].forEach(disposeBatch);

      // The same item twice: per-shard statistics equal the batch's, so the average is the full-batch gradient.
      const one = await source(1).batch(1);
      const twice: ClipBatch = {
        frames: repeatItem(one.frames, 2) as tf.Tensor5D,
        masks: repeatItem(one.masks, 2) as tf.Tensor5D,
        present: repeatItem(one.present, 2) as tf.Tensor3D,
        ...(one.priorMasks ? { priorMasks: repeatItem(one.priorMasks, 2) as tf.Tensor4D } : {}),
      };
      const parallel = await provider.compute(twice, loss);
      restore(variables, start);
      const fullBatch = gradientsInThread(model, twice, loss);
      expect(Math.abs(parallel.loss - fullBatch.loss)).toBeLessThan(1e-5);
      for (const [name, g] of fullBatch.gradients) {
        const want = g.dataSync() as Float32Array;
        const scale = Math.max(1e-3, ...Array.from(want, Math.abs));
        expect(maxDiff(parallel.gradients.get(name)!.dataSync() as Float32Array, want) / scale, name).toBeLessThan(1e-3);
      }
      tf.dispose([...parallel.gradients.values(), ...fullBatch.gradients.values()]);
      [one, twice].forEach(disposeBatch);
    } finally {
      await provider.dispose();
      model.dispose();
    }
  });
});

import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { objectnessLoss, slotBalancedMean, weightedMean } from '../../src/models/losses.js';
import { assignObjectsToSlots } from '../../src/train/clip_loss.js';
import { largestFirst } from '../../src/train/slot_matching.js';
import { Adam } from '../../src/train/adam.js';
import { lrScaleAt } from '../../src/train/trainer.js';

const bce = (x: number, t: number) => Math.max(x, 0) - x * t + Math.log1p(Math.exp(-Math.abs(x)));

describe('zero-shot slot levers', () => {
  it('objectness positive weight: 1 is the plain mean; w weighs object-holding slots w times', () => {
    const logits = tf.tensor2d([
      [2, -1, 0.5],
      [-0.3, 1.5, -2],
    ]);
    const targets = tf.tensor2d([
      [1, 0, 0],
      [1, 0, 0],
    ]);
    const terms = [
      [2, 1],
      [-1, 0],
      [0.5, 0],
      [-0.3, 1],
      [1.5, 0],
      [-2, 0],
    ].map(([x, t]) => bce(x!, t!));
    const plain = terms.reduce((a, b) => a + b, 0) / 6;
    const w = 3;
    const weighted = (w * (terms[0]! + terms[3]!) + terms[1]! + terms[2]! + terms[4]! + terms[5]!) / (2 * w + 4);
    expect(objectnessLoss(logits, targets).dataSync()[0]).toBeCloseTo(plain, 5);
    expect(objectnessLoss(logits, targets, 1).dataSync()[0]).toBe(objectnessLoss(logits, targets).dataSync()[0]);
    expect(objectnessLoss(logits, targets, w).dataSync()[0]).toBeCloseTo(weighted, 5);
  });

  it('slot balance: averages per slot over the pairs holding an object, then over the slots that have any', () => {
    // Slot 0 holds objects in both items (losses 0.2, 0.4), slot 1 in one (0.9), slot 2 in none.
    const perPair = tf.tensor2d([
      [0.2, 0.9, 0.5],
      [0.4, 0.1, 0.7],
    ]);
    const holds = tf.tensor2d([
      [1, 1, 0],
      [1, 0, 0],
    ]);
    expect(slotBalancedMean(perPair, holds).dataSync()[0]).toBeCloseTo((0.3 + 0.9) / 2, 6);
    expect(weightedMean(perPair, holds).dataSync()[0]).toBeCloseTo((0.2 + 0.9 + 0.4) / 3, 6);
    expect(slotBalancedMean(perPair, tf.zeros([2, 3])).dataSync()[0]).toBe(0);
  });
});

describe('zero-shot slot order', () => {
  it('largest_first: slot k gets the k-th largest existing object; absent-here objects follow by clip area', () => {
    // Channels 0..4: areas 10, 0 (enters later; clip area 30), 25, 0 (not in the clip), 25 (tie with 2).
    const order = largestFirst([10, 0, 25, 0, 25], [40, 30, 50, 0, 60], [true, true, true, false, true]);
    expect(order).toEqual([4, 2, 0, 1, -1]);
    expect(largestFirst([1, 2], [1, 2], [false, false])).toEqual([-1, -1]);
  });

  it('largest_first ignores the predictions; hungarian follows them', () => {
    // One item, 2 frames, 4x4, 3 channels: object 0 is 2 px, object 1 is 6 px, channel 2 empty.
    const masks = new Float32Array(2 * 16 * 3);
    for (const t of [0, 1]) {
      for (const p of [0, 1]) masks[(t * 16 + p) * 3 + 0] = 1;
      for (const p of [8, 9, 10, 11, 12, 13]) masks[(t * 16 + p) * 3 + 1] = 1;
    }
    const clip = tf.tensor5d(masks, [1, 2, 4, 4, 3]);
    const frame0 = tf.tensor4d(masks.subarray(0, 48), [1, 4, 4, 3]);
    const present = [
      [
        [1, 1, 0],
        [1, 1, 0],
      ],
    ];
    // Predictions that put object 0 in slot 0 and object 1 in slot 2 (logits ±8 from the masks, channels reordered).
    const fitted = tf.tidy(() => tf.mul(tf.sub(tf.gather(frame0, [0, 2, 1], 3), 0.5), 16) as tf.Tensor4D);
    const options = { slotAssignment: 'first_frame' as const };
    expect(assignObjectsToSlots(fitted, frame0, clip, present, 0, { ...options, slotOrder: 'hungarian' }, 3)).toEqual([[0, -1, 1]]);
    expect(assignObjectsToSlots(fitted, frame0, clip, present, 0, { ...options, slotOrder: 'largest_first' }, 3)).toEqual([[1, 0, -1]]);
    const noise = tf.randomNormal([1, 4, 4, 3], 0, 3, 'float32', 7) as tf.Tensor4D;
    expect(assignObjectsToSlots(noise, frame0, clip, present, 0, { ...options, slotOrder: 'largest_first' }, 3)).toEqual([[1, 0, -1]]);
    tf.dispose([clip, frame0, fitted, noise]);
  });
});

describe('train.lr_schedule', () => {
  it('cosine goes from 1 at the first step to 0 at the end; constant stays 1', () => {
    expect(lrScaleAt('constant', 123, 1600)).toBe(1);
    expect(lrScaleAt('cosine', 0, 1600)).toBe(1);
    expect(lrScaleAt('cosine', 800, 1600)).toBeCloseTo(0.5, 12);
    expect(lrScaleAt('cosine', 1599, 1600)).toBeLessThan(1e-5);
    const curve = Array.from({ length: 100 }, (_, s) => lrScaleAt('cosine', s, 100));
    expect(curve.every((v, i) => i === 0 || v < curve[i - 1]!)).toBe(true);
  });

  it('Adam with lrScale 1 is bit-identical to no scale; a scale multiplies the step', () => {
    const run = (scale?: number) => {
      const w = tf.variable(tf.tensor1d([0.5, -1.5, 2]));
      const opt = new Adam([{ variables: new Map([['w', w]]), lr: 0.1 }], { weightDecay: 0.01 });
      for (const g of [
        [0.3, -0.2, 0.7],
        [0.1, 0.4, -0.6],
      ]) {
        const grad = tf.tensor1d(g);
        if (scale === undefined) opt.apply(new Map([['w', grad]]));
        else opt.apply(new Map([['w', grad]]), scale);
        grad.dispose();
      }
      const out = Array.from(w.dataSync());
      w.dispose();
      opt.dispose?.();
      return out;
    };
    const plain = run();
    expect(run(1)).toEqual(plain);
    const start = [0.5, -1.5, 2];
    const half = run(0.5);
    // Adam's step is lr·m̂/(√v̂ + ε): with no weight decay it would halve exactly; here decay makes it close to half.
    half.forEach((v, i) => expect(v - start[i]!).toBeCloseTo((plain[i]! - start[i]!) / 2, 3));
  });
});

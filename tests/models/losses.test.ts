import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { emptyMaskLossPerPair, objectnessLoss, softIoULossPerPair, weightedMean } from '../../src/models/losses.js';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

describe('soft IoU loss', () => {
  it('equals 1 − Σpy / (Σ(p+y−py) + 1e-6) per (item, slot), computed by hand', () => {
    // 1 item, 2x2 pixels, 2 slots, non-uniform logits.
    const logits = [0.5, -1, 2, 0.3, -0.7, 1.5, 0, -2];
    const targets = [1, 0, 1, 1, 0, 0, 1, 0];
    const got = softIoULossPerPair(tf.tensor4d(logits, [1, 2, 2, 2]), tf.tensor4d(targets, [1, 2, 2, 2])).arraySync()[0]!;
    for (let s = 0; s < 2; s++) {
      let inter = 0,
        union = 0;
      for (let i = 0; i < 4; i++) {
        const p = sigmoid(logits[i * 2 + s]!),
          y = targets[i * 2 + s]!;
        inter += p * y;
        union += p + y - p * y;
      }
      expect(got[s]).toBeCloseTo(1 - inter / (union + 1e-6), 5);
    }
  });

  it('is near 0 for a confident correct mask and near 1 for a confident wrong one', () => {
    const y = tf.tensor4d([1, 0, 0, 1], [1, 2, 2, 1]);
    const good = softIoULossPerPair(tf.mul(tf.sub(tf.mul(y, 2), 1), 20) as tf.Tensor4D, y).dataSync()[0]!;
    const bad = softIoULossPerPair(tf.mul(tf.sub(tf.mul(y, 2), 1), -20) as tf.Tensor4D, y).dataSync()[0]!;
    expect(good).toBeLessThan(1e-6);
    expect(bad).toBeGreaterThan(0.999);
  });

  it('weightedMean averages only the weighted pairs and is 0 with no weights', () => {
    const per = tf.tensor2d([
      [0.2, 0.9],
      [0.4, 0.7],
    ]);
    expect(
      weightedMean(
        per,
        tf.tensor2d([
          [1, 0],
          [1, 0],
        ]),
      ).dataSync()[0],
    ).toBeCloseTo(0.3, 6);
    expect(weightedMean(per, tf.zeros([2, 2]) as tf.Tensor2D).dataSync()[0]).toBe(0);
  });

  it('empty-mask loss is the mean foreground probability', () => {
    const logits = tf.tensor4d([0, 0, 100, -100], [1, 2, 2, 1]);
    expect(emptyMaskLossPerPair(logits).dataSync()[0]).toBeCloseTo((0.5 + 0.5 + 1 + 0) / 4, 6);
  });

  it('objectness loss is binary cross-entropy on logits, stable for large values', () => {
    const x = [2, -1, 50, -50];
    const t = [1, 0, 1, 1];
    const expected = x.reduce((acc, xi, i) => {
      const p = sigmoid(xi);
      const ti = t[i]!;
      const li = xi === -50 ? 50 : ti === 1 ? -Math.log(p) : -Math.log(1 - p);
      return acc + li / 4;
    }, 0);
    expect(objectnessLoss(tf.tensor2d([x]), tf.tensor2d([t])).dataSync()[0]).toBeCloseTo(expected, 4);
  });
});

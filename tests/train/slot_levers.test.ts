import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { objectnessLoss, slotBalancedMean, weightedMean } from '../../src/train/losses.js';

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

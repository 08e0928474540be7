import { describe, expect, it } from 'vitest';
import { assignmentMatrix, matchSlots, softIoUCostMatrix } from '../../src/train/slot_matching.js';
import * as tf from '@tensorflow/tfjs-core';
import { permuteSlots } from '../../src/train/clip_loss.js';

describe('slot matching', () => {
  it('cost is 1 − soft IoU for every slot/object pair', () => {
    // 3 pixels, 2 slots, 2 objects. Slot 0 predicts object 1's pixels, slot 1 object 0's.
    const probs = new Float32Array([0.1, 0.9, 0.8, 0.2, 0.9, 0.0]);
    const targets = new Float32Array([0, 1, 1, 0, 1, 0]);
    const cost = softIoUCostMatrix(probs, targets, 2, 2);
    const iou = (p: number[], y: number[]) => {
      let i = 0,
        u = 0;
      p.forEach((pi, k) => {
        i += pi * y[k]!;
        u += pi + y[k]! - pi * y[k]!;
      });
      return 1 - i / (u + 1e-6);
    };
    expect(cost[0]![0]).toBeCloseTo(iou([0.1, 0.8, 0.9], [0, 1, 1]), 6);
    expect(cost[0]![1]).toBeCloseTo(iou([0.1, 0.8, 0.9], [1, 0, 0]), 6);
    expect(cost[1]![1]).toBeCloseTo(iou([0.9, 0.2, 0.0], [1, 0, 0]), 6);
  });

  it('assigns each existing object to the cheapest distinct slot and leaves others unmatched', () => {
    const cost = [
      [0.9, 0.1, 0.5],
      [0.2, 0.8, 0.5],
      [0.3, 0.3, 0.5],
    ];
    expect(matchSlots(cost, [true, true, false])).toEqual([1, 0, -1]);
    expect(matchSlots(cost, [false, false, false])).toEqual([-1, -1, -1]);
  });

  it('builds the one-hot object→slot matrix', () => {
    expect(Array.from(assignmentMatrix([1, -1, 0], 3))).toEqual([0, 0, 1, 1, 0, 0, 0, 0, 0]);
  });
});

describe('permuteSlots', () => {
  it('equals the product with the assignment matrix, bit for bit (empty slots are zeros)', () => {
    const [b, h, w, s] = [2, 3, 4, 3];
    const values = Float32Array.from({ length: b * h * w * s }, (_, i) => ((i * 37) % 11) / 7 - 0.5);
    const targets = tf.tensor4d(values, [b, h, w, s]);
    const slotToObject = [
      [2, -1, 0],
      [1, 0, 2],
    ];
    const fast = permuteSlots(targets, slotToObject);
    const permutation = tf.tensor3d(
      slotToObject.flatMap((row) => Array.from(assignmentMatrix(row, s))),
      [b, s, s],
    );
    const product = tf.reshape(tf.matMul(tf.reshape(targets, [b, h * w, s]), permutation), [b, h, w, s]);
    expect(Array.from(fast.dataSync())).toEqual(Array.from(product.dataSync()));
    expect(fast.shape).toEqual([b, h, w, s]);
    // Not the identity: slot 0 of item 0 holds object 2.
    expect(fast.dataSync()[0]).toBe(values[2]);
    tf.dispose([targets, fast, permutation, product]);
  });
});

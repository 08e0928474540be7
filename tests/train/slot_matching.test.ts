import { describe, expect, it } from 'vitest';
import { assignmentMatrix, matchSlots, softIoUCostMatrix } from '../../src/train/slot_matching.js';

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

import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { RVOSModel } from '../../src/models/index.js';
import { SlotCanvas } from '../../src/models/slot_canvas.js';
import { maxAbsDiff, pattern, smallConfig } from './helpers.js';

const SIZES: [number, number][] = [
  [1, 2],
  [2, 3],
  [4, 6],
  [8, 12],
];

describe('SlotCanvas', () => {
  it('starts empty, then holds the running maximum of the claimed probabilities at every level', () => {
    const canvas = new SlotCanvas(2, SIZES);
    const empty = canvas.levels();
    expect(empty.map((l) => l.shape)).toEqual(SIZES.map(([h, w]) => [2, h, w, 1]));
    expect(Math.max(...empty.map((l) => tf.max(l).dataSync()[0]!))).toBe(0);
    const a = tf.mul(tf.sub(pattern([2, 16, 24, 1], 0), 0.5), 8) as tf.Tensor4D;
    const b = tf.mul(tf.sub(pattern([2, 16, 24, 1], 3), 0.5), 8) as tf.Tensor4D;
    canvas.claim(a);
    canvas.claim(b);
    const levels = canvas.levels();
    const union = tf.maximum(tf.sigmoid(a), tf.sigmoid(b)) as tf.Tensor4D;
    let expected = tf.maxPool(union, 2, 2, 'same');
    expect(maxAbsDiff(levels[3]!, expected)).toBeLessThan(1e-7);
    for (const k of [2, 1, 0]) {
      expected = tf.maxPool(expected, 2, 2, 'same');
      expect(levels[k]!.shape).toEqual([2, ...SIZES[k]!, 1]);
      expect(maxAbsDiff(levels[k]!, expected)).toBeLessThan(1e-7);
    }
    tf.dispose([...empty, ...levels, a, b, union, expected]);
  });

  it('passes no gradient back to the slots that claimed', () => {
    const logit = tf.mul(tf.sub(pattern([1, 16, 24, 1], 1), 0.5), 4) as tf.Tensor4D;
    const grad = tf.grad((x: tf.Tensor) => {
      const canvas = new SlotCanvas(1, SIZES);
      canvas.claim(x as tf.Tensor4D);
      // The direct term keeps x on the tape; the canvas term must add nothing to its gradient.
      return tf.add(tf.sum(tf.mul(x, 0)), tf.sum(canvas.levels()[3]!));
    })(logit);
    expect(tf.max(tf.abs(grad)).dataSync()[0]).toBe(0);
    tf.dispose([logit, grad]);
  });
});

describe('RVOSModel with the slot canvas', () => {
  it('adds one decoder input channel per level, leaves slot 0 as it is and changes the later slots', async () => {
    const plain = await RVOSModel.create(smallConfig({ inputs: ['prev_mask'] }));
    const withCanvas = await RVOSModel.create(smallConfig({ inputs: ['prev_mask', 'slot_canvas'] }));
    const rows = (m: RVOSModel): number[] => m.decoder.cells.map((c) => c.kernel!.read().shape[2]!);
    expect(rows(withCanvas)).toEqual(rows(plain).map((r) => r + 1));
    // One-shot slots are told their objects by the given masks: the input is zero-shot only.
    const oneShot = await RVOSModel.create(smallConfig({ mode: 'one_shot', inputs: ['prev_mask', 'slot_canvas'] }));
    const oneShotPlain = await RVOSModel.create(smallConfig({ mode: 'one_shot', inputs: ['prev_mask'] }));
    expect(rows(oneShot)).toEqual(rows(oneShotPlain));
    oneShot.dispose();
    oneShotPlain.dispose();

    const frame = pattern([1, 32, 48, 3]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const state = withCanvas.initialState();
    const out = withCanvas.step(frame, null, state);
    // The same weights with an always-empty canvas: slot 0 is the same, slots 1 and 2 are not.
    const claim = SlotCanvas.prototype.claim;
    SlotCanvas.prototype.claim = function (): void {};
    let blind: ReturnType<RVOSModel['step']>;
    try {
      blind = withCanvas.step(frame, null, state);
    } finally {
      SlotCanvas.prototype.claim = claim;
    }
    const slotDiff = (s: number): number =>
      tf.tidy(() => maxAbsDiff(tf.slice(out.logits, [0, 0, 0, s], [-1, -1, -1, 1]), tf.slice(blind.logits, [0, 0, 0, s], [-1, -1, -1, 1])));
    expect(slotDiff(0)).toBe(0);
    expect(slotDiff(1)).toBeGreaterThan(1e-4);
    expect(slotDiff(2)).toBeGreaterThan(1e-4);
    withCanvas.disposeState(out.state);
    withCanvas.disposeState(blind.state);
    tf.dispose([out.logits, blind.logits]);
    withCanvas.disposeState(state);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(frame);
    plain.dispose();
    withCanvas.dispose();
  });
});

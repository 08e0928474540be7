// The objectness head over all slots of a frame at once against the head applied slot by slot.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { ObjectnessHead } from '../../src/models/objectness_head.js';
import { ParamStore } from '../../src/models/params.js';
import { maxAbsDiff, pattern } from './helpers.js';

describe('ObjectnessHead.applySlots', () => {
  it('equals apply per slot, [B, S] in slot order, value and gradient', () => {
    const store = new ParamStore(3, true);
    const head = new ObjectnessHead(store, [16, 8, 4, 2]);
    const sizes = [2, 4, 8, 16];
    const slots = 4;
    const batch = 3;
    const slotH = Array.from({ length: slots }, (_, s) => [16, 8, 4, 2].map((f, k) => pattern([batch, sizes[k]!, sizes[k]!, f], 10 * s + k) as tf.Tensor4D));
    const before = tf.memory().numTensors;
    const all = tf.tidy(() => head.applySlots(slotH));
    const perSlot = tf.tidy(() =>
      tf.concat(
        slotH.map((h) => head.apply(h)),
        1,
      ),
    );
    expect(all.shape).toEqual([batch, slots]);
    expect(maxAbsDiff(all, perSlot)).toBeLessThan(1e-6);
    // Slots differ (not vacuous: a transposed result would not match).
    expect(tf.tidy(() => maxAbsDiff(tf.slice(perSlot, [0, 0], [-1, 1]), tf.slice(perSlot, [0, 1], [-1, 1])))).toBeGreaterThan(1e-4);
    const w = pattern([batch, slots], 5);
    const vars = store.trainable('decoder');
    const g1 = tf.variableGrads(() => tf.sum(tf.mul(head.applySlots(slotH), w)), vars);
    const g2 = tf.variableGrads(
      () =>
        tf.sum(
          tf.mul(
            tf.concat(
              slotH.map((h) => head.apply(h)),
              1,
            ),
            w,
          ),
        ),
      vars,
    );
    for (const name of Object.keys(g2.grads)) expect(maxAbsDiff(g1.grads[name]!, g2.grads[name]!)).toBeLessThan(1e-5);
    tf.dispose([all, perSlot, w, g1.value, g2.value, ...Object.values(g1.grads), ...Object.values(g2.grads)]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(slotH.flat());
    store.dispose();
  });
});

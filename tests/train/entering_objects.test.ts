// One-shot training gives an object that enters a clip after frame 0 its mask at the frame it
// enters (as the one-shot protocol does), for RVOS and mobile_prior, in both ST+ stages.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it, vi } from 'vitest';
import { clipLoss, enteringObjects, type ClipLossOptions } from '../../src/train/clip_loss.js';
import type { ClipBatch } from '../../src/data/batch.js';
import { RVOSModel } from '../../src/models/index.js';
import { createBaseline, MobilePriorModel } from '../../src/models/baselines/index.js';
import { smallConfig, pattern, maxAbsDiff } from '../models/helpers.js';
import { MOBILE_PRIOR } from '../models/baselines/helpers.js';

const B = 2,
  L = 4,
  S = 2,
  H = 16,
  W = 16;
// Item 0: slot 0 in every frame, slot 1 enters at frame 2. Item 1: slot 0 everywhere, slot 1 in frame 0 only.
const PRESENT = [
  [
    [1, 0],
    [1, 0],
    [1, 1],
    [1, 1],
  ],
  [
    [1, 1],
    [1, 0],
    [1, 0],
    [1, 0],
  ],
];

function batch(): ClipBatch {
  return {
    frames: pattern([B, L, H, W, 3]) as tf.Tensor5D,
    masks: tf.tidy(() => tf.cast(tf.greater(pattern([B, L, H, W, S], 3), 0.5), 'float32')) as tf.Tensor5D,
    present: tf.tensor3d(PRESENT),
  };
}

/** The frame-t previous-mask input's slot s of item b, and frame t's ground truth there. */
function slotOf(x: tf.Tensor4D, b: number, s: number): tf.Tensor {
  return tf.slice(x, [b, 0, 0, s], [1, -1, -1, 1]);
}

describe('objects entering a clip (one-shot training)', () => {
  it('enteringObjects: present at t and at no earlier frame of the clip; null when none', () => {
    expect(enteringObjects(PRESENT, 0)).toBeNull();
    expect(enteringObjects(PRESENT, 1)).toBeNull();
    expect(enteringObjects(PRESENT, 2)).toEqual([
      [0, 1],
      [0, 0],
    ]);
    expect(enteringObjects(PRESENT, 3)).toBeNull(); // already in frame 2
    // Absent, then back after an absence within the clip: not entering (it was shown before).
    expect(enteringObjects([[[1], [0], [1]]], 2)).toBeNull();
  });

  it.each(['gt_prev', 'pred_prev'] as const)('RVOS (%s): the entering slot gets its frame-t mask, the others keep their input', async (previousMask) => {
    const model = await RVOSModel.create(smallConfig({ mode: 'one_shot', slots: S }));
    const b = batch();
    const masks = tf.unstack(b.masks, 1) as tf.Tensor4D[];
    const inputs: tf.Tensor4D[] = [];
    const step = model.step.bind(model);
    const spy = vi.spyOn(model, 'step').mockImplementation((frame, previous, state, opts) => {
      inputs.push(tf.keep(tf.clone(previous!)));
      return step(frame, previous, state, opts);
    });
    const options: ClipLossOptions = { slotAssignment: 'first_frame', objectnessWeight: 0, emptySlotWeight: 0, previousMask };
    tf.tidy(() => clipLoss(model, b, options));
    spy.mockRestore();
    expect(inputs).toHaveLength(L);
    // Frame 2, item 0, slot 1: entering → its own frame-2 mask (not empty: the test is not vacuous).
    expect(tf.sum(slotOf(masks[2]!, 0, 1)).dataSync()[0]).toBeGreaterThan(0);
    expect(maxAbsDiff(slotOf(inputs[2]!, 0, 1), slotOf(masks[2]!, 0, 1))).toBe(0);
    if (previousMask === 'gt_prev') {
      // Every other slot of frame 2 keeps frame 1's ground truth, which differs from frame 2's.
      expect(maxAbsDiff(slotOf(inputs[2]!, 0, 0), slotOf(masks[1]!, 0, 0))).toBe(0);
      expect(maxAbsDiff(slotOf(inputs[2]!, 1, 1), slotOf(masks[1]!, 1, 1))).toBe(0);
      // Frame 3 (nothing enters): frame 2's ground truth throughout.
      expect(maxAbsDiff(inputs[3]!, masks[2]!)).toBe(0);
    } else {
      // The model's own predictions elsewhere: soft values, not a ground-truth mask.
      expect(maxAbsDiff(slotOf(inputs[2]!, 0, 0), slotOf(masks[2]!, 0, 0))).toBeGreaterThan(0);
    }
    tf.dispose([...inputs, ...masks, b.frames, b.masks, b.present]);
    model.dispose();
  });

  it('mobile_prior: the entering slot gets its frame-t mask as its prior', () => {
    const model = createBaseline({ ...MOBILE_PRIOR, slots: S }) as MobilePriorModel;
    const b = batch();
    const masks = tf.unstack(b.masks, 1) as tf.Tensor4D[];
    const priors: tf.Tensor4D[] = [];
    const forward = model.forward.bind(model);
    const spy = vi.spyOn(model, 'forward').mockImplementation((frame, prior, ctx) => {
      priors.push(tf.keep(tf.clone(prior)));
      return forward(frame, prior, ctx);
    });
    tf.tidy(() => clipLoss(model, b, { slotAssignment: 'first_frame', objectnessWeight: 0, emptySlotWeight: 1, previousMask: 'gt_prev' }));
    spy.mockRestore();
    expect(priors).toHaveLength(L);
    expect(maxAbsDiff(slotOf(priors[2]!, 0, 1), slotOf(masks[2]!, 0, 1))).toBe(0);
    expect(maxAbsDiff(slotOf(priors[2]!, 0, 0), slotOf(masks[1]!, 0, 0))).toBe(0);
    expect(maxAbsDiff(slotOf(priors[2]!, 1, 1), slotOf(masks[1]!, 1, 1))).toBe(0);
    tf.dispose([...priors, ...masks, b.frames, b.masks, b.present]);
    model.dispose();
  });
});

import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { RVOSModel } from '../../src/models/index.js';
import { maskBCELossPerPair } from '../../src/models/losses.js';
import { clipLoss, type ClipLossOptions, type LossParts } from '../../src/train/clip_loss.js';
import { smallConfig, twoObjectClip } from '../models/helpers.js';

const LOSS: ClipLossOptions = { slotAssignment: 'first_frame', objectnessWeight: 0, emptySlotWeight: 1, previousMask: 'gt_prev' };

describe('train.mask_bce_weight', () => {
  it("maskBCELossPerPair is the per-(item, slot) mean of the pixels' binary cross-entropy", () => {
    const logits = tf.tensor4d([2, 0, -1, 4, 0, 3, 1, -2], [1, 2, 2, 2]);
    const targets = tf.tensor4d([1, 0, 0, 1, 1, 1, 0, 0], [1, 2, 2, 2]);
    const bce = (x: number, t: number) => Math.max(x, 0) - x * t + Math.log1p(Math.exp(-Math.abs(x)));
    const slot0 = (bce(2, 1) + bce(-1, 0) + bce(0, 1) + bce(1, 0)) / 4;
    const slot1 = (bce(0, 0) + bce(4, 1) + bce(3, 1) + bce(-2, 0)) / 4;
    const got = maskBCELossPerPair(logits, targets).dataSync();
    expect(got[0]).toBeCloseTo(slot0, 6);
    expect(got[1]).toBeCloseTo(slot1, 6);
    tf.dispose([logits, targets]);
  });

  it('adds weight × (mean BCE of the object-holding slots) to the clip loss; 0 leaves it bit for bit', async () => {
    const model = await RVOSModel.create(smallConfig({ inputs: ['slot_canvas'] }));
    const batch = twoObjectClip();
    const before = tf.memory().numTensors;
    const lossOf = (weight: number | undefined): [number, Partial<LossParts>] => {
      const parts: Partial<LossParts> = {};
      const value = tf.tidy(() => clipLoss(model, batch as never, { ...LOSS, maskBceWeight: weight }, parts).dataSync()[0]!);
      return [value, parts];
    };
    const [plain, plainParts] = lossOf(undefined);
    const [zero, zeroParts] = lossOf(0);
    expect(zero).toBe(plain);
    expect(zeroParts.maskBce).toBeUndefined();
    const [weighted, parts] = lossOf(2);
    const bce = parts.maskBce!.dataSync()[0]!;
    // Two frames, each the mean over the two object-holding slots of a positive BCE.
    expect(bce).toBeGreaterThan(0.1);
    expect(weighted).toBeCloseTo(plain + 2 * bce, 4);
    tf.dispose([...Object.values(plainParts), ...Object.values(zeroParts), ...Object.values(parts)] as tf.Tensor[]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(Object.values(batch));
    model.dispose();
  });
});

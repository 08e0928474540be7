import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { RVOSModel } from '../../src/models/index.js';
import { clipLoss, type ClipLossOptions, type LossParts } from '../../src/train/clip_loss.js';
import { foregroundLoss } from '../../src/models/losses.js';
import { pattern, smallConfig, twoObjectClip } from './helpers.js';

const LOSS: ClipLossOptions = { slotAssignment: 'first_frame', objectnessWeight: 0, emptySlotWeight: 1, previousMask: 'gt_prev' };

describe('foreground head (model.inputs: foreground)', () => {
  it('foregroundLoss is the mean per-pixel binary cross-entropy', () => {
    const logits = tf.tensor4d([2, -1, 0, 3], [1, 2, 2, 1]);
    const union = tf.tensor4d([1, 0, 1, 0], [1, 2, 2, 1]);
    const sig = (x: number) => 1 / (1 + Math.exp(-x));
    const expected = -(Math.log(sig(2)) + Math.log(1 - sig(-1)) + Math.log(sig(0)) + Math.log(1 - sig(3))) / 4;
    expect(foregroundLoss(logits, union).dataSync()[0]).toBeCloseTo(expected, 6);
    tf.dispose([logits, union]);
  });

  it('adds one decoder channel per level, returns frame-size logits in training only, and leaks nothing', async () => {
    const plain = await RVOSModel.create(smallConfig({ inputs: ['slot_canvas'] }));
    const model = await RVOSModel.create(smallConfig({ inputs: ['slot_canvas', 'foreground'] }));
    const rows = (m: RVOSModel): number[] => m.decoder.cells.map((c) => c.kernel!.read().shape[2]!);
    expect(rows(model)).toEqual(rows(plain).map((r) => r + 1));
    expect([...model.namedVariables().keys()].filter((k) => k.startsWith('foreground/')).length).toBe(10);
    // One-shot slots are told their objects: there the input is ignored (no head, no channel).
    const oneShot = await RVOSModel.create(smallConfig({ mode: 'one_shot', inputs: ['prev_mask', 'foreground'] }));
    const oneShotPlain = await RVOSModel.create(smallConfig({ mode: 'one_shot', inputs: ['prev_mask'] }));
    expect(rows(oneShot)).toEqual(rows(oneShotPlain));
    expect([...oneShot.namedVariables().keys()].some((k) => k.startsWith('foreground/'))).toBe(false);
    oneShot.dispose();
    oneShotPlain.dispose();
    const frame = pattern([2, 32, 48, 3]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const state = model.initialState();
    const train = model.step(frame, null, state, { training: true });
    expect(train.foreground!.shape).toEqual([2, 32, 48, 1]);
    const infer = model.step(frame, null, state);
    expect(infer.foreground).toBeNull();
    for (const out of [train, infer]) {
      tf.dispose([out.logits, out.foreground ?? []].flat());
      model.disposeState(out.state);
    }
    model.disposeState(state);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(frame);
    plain.dispose();
    model.dispose();
  });

  it('every slot reads the map, and the slots pass no gradient back into the head', async () => {
    const model = await RVOSModel.create(smallConfig({ inputs: ['foreground'] }));
    const frame = pattern([1, 32, 48, 3]) as tf.Tensor4D;
    const logitsOf = (): Float32Array =>
      tf.tidy(() => {
        const state = model.initialState();
        const out = model.step(frame, null, state);
        model.disposeState(out.state);
        return out.logits.dataSync() as Float32Array;
      });
    const before = logitsOf();
    // A different foreground map (the head's output bias moved) changes every slot's logits.
    const bias = model.namedVariables().get('foreground/logit/bias')!;
    const saved = tf.clone(bias);
    bias.assign(tf.add(bias, 3) as tf.Tensor1D);
    const after = logitsOf();
    bias.assign(saved);
    const slotChanged = [0, 1, 2].map((s) => {
      let d = 0;
      for (let i = s; i < before.length; i += 3) d = Math.max(d, Math.abs(before[i]! - after[i]!));
      return d;
    });
    for (const d of slotChanged) expect(d).toBeGreaterThan(1e-5);
    // The slots' logits have no gradient path into the head: it learns from its own loss only.
    const head = [...model.namedVariables().entries()].filter(([k]) => k.startsWith('foreground/')).map(([, v]) => v);
    const { grads } = tf.variableGrads(() => {
      const out = model.step(frame, null, model.initialState(), { training: true });
      // The zero-weighted head term keeps the head on the tape; the slots' term must add nothing.
      return tf.add(tf.sum(out.logits), tf.mul(tf.sum(out.foreground!), 0)) as tf.Scalar;
    }, head);
    for (const g of Object.values(grads)) expect(tf.max(tf.abs(g)).dataSync()[0]).toBe(0);
    tf.dispose([frame, saved, ...Object.values(grads)]);
    model.dispose();
  });

  it('clipLoss adds the weighted foreground term and reports it; models without the head are unchanged', async () => {
    const model = await RVOSModel.create(smallConfig({ inputs: ['foreground'] }));
    const batch = twoObjectClip();
    const parts: Partial<LossParts> = {};
    const total1 = clipLoss(model, batch, { ...LOSS, foregroundWeight: 1 }, parts);
    const total3 = clipLoss(model, batch, { ...LOSS, foregroundWeight: 3 });
    const fg = parts.foreground!.dataSync()[0]!;
    expect(fg).toBeGreaterThan(0.1);
    expect(total3.dataSync()[0]! - total1.dataSync()[0]!).toBeCloseTo(2 * fg, 4);
    // The head's gradient comes from this term: it reaches the head's variables.
    const head = [...model.namedVariables().entries()].filter(([k]) => k.startsWith('foreground/')).map(([, v]) => v);
    const { grads } = tf.variableGrads(() => clipLoss(model, batch, LOSS), head);
    expect(Math.max(...Object.values(grads).map((g) => tf.max(tf.abs(g)).dataSync()[0]!))).toBeGreaterThan(1e-6);

    const plain = await RVOSModel.create(smallConfig({ inputs: [] }));
    const plainParts: Partial<LossParts> = {};
    clipLoss(plain, batch, LOSS, plainParts);
    expect(plainParts.foreground).toBeUndefined();
    tf.dispose([total1, total3, ...Object.values(parts), ...Object.values(plainParts), ...Object.values(grads), ...Object.values(batch)]);
    model.dispose();
    plain.dispose();
  });
});

import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { RVOSModel, type DecoderState } from '../../src/models/index.js';
import { maxAbsDiff, pattern, smallConfig } from './helpers.js';

// S recurrence and no motion input: nothing but the own-mask input carries a frame to the next.
const config = smallConfig({ recurrence: 'S', inputs: ['prev_mask', 'own_prev_mask'] });

describe('zero-shot own_prev_mask input', () => {
  it('gives the zero-shot decoder a mask channel (prev_mask alone does not)', async () => {
    const plain = await RVOSModel.create(smallConfig({ recurrence: 'S' }));
    const own = await RVOSModel.create(config);
    const rows = (m: RVOSModel): number[] => m.decoder.cells.map((c) => c.kernel!.read().shape[2]!);
    expect(rows(own)).toEqual(rows(plain).map((r) => r + 1));
    plain.dispose();
    own.dispose();
  });

  it('feeds each slot its previous prediction: frame 1 depends on frame 0, with no leaks', async () => {
    const model = await RVOSModel.create(config);
    const [f0, f1] = [0, 1].map((p) => pattern([2, 32, 48, 3], p) as tf.Tensor4D);
    const before = tf.memory().numTensors;
    const first = model.step(f0!, null, model.initialState());
    expect(first.state.ownMasks!.shape).toEqual([2, 16, 24, 3]);
    const fresh = model.step(f1!, null, model.initialState());
    const second = model.step(f1!, null, first.state);
    expect(maxAbsDiff(fresh.logits, second.logits)).toBeGreaterThan(1e-4);
    // An all-zero own mask is what a first frame sees: the same as the fresh state.
    const zeroed: DecoderState = { ...first.state, ownMasks: tf.zerosLike(first.state.ownMasks!) };
    const blank = model.step(f1!, null, zeroed);
    expect(maxAbsDiff(fresh.logits, blank.logits)).toBeLessThan(1e-6);
    for (const out of [first, fresh, second, blank]) {
      model.disposeState(out.state);
      tf.dispose([out.logits, out.objectness ?? []].flat());
    }
    zeroed.ownMasks!.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([f0!, f1!]);
    model.dispose();
  });

  it('passes no gradient back to the previous frame', async () => {
    const model = await RVOSModel.create(config);
    const [f0, f1] = [0, 1].map((p) => pattern([1, 32, 48, 3], p) as tf.Tensor4D);
    const grad = tf.grad((x: tf.Tensor) => {
      const first = model.step(x as tf.Tensor4D, null, model.initialState());
      const second = model.step(f1!, null, first.state);
      return tf.add(tf.sum(tf.mul(first.logits, 0)), tf.sum(second.logits));
    })(f0!);
    expect(tf.max(tf.abs(grad)).dataSync()[0]).toBe(0);
    tf.dispose([f0!, f1!, grad]);
    model.dispose();
  });

  it('rejects state from frames of another size', async () => {
    const model = await RVOSModel.create(config);
    const small = pattern([1, 32, 48, 3]) as tf.Tensor4D;
    const big = pattern([1, 64, 48, 3]) as tf.Tensor4D;
    const out = model.step(small, null, model.initialState());
    expect(() => model.step(big, null, out.state)).toThrow(/another batch or size/);
    model.disposeState(out.state);
    tf.dispose([out.logits, small, big]);
    model.dispose();
  });
});

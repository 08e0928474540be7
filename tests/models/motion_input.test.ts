import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { RVOSModel } from '../../src/models/index.js';
import { ConfigError } from '../../src/utils/errors.js';
import { maxAbsDiff, pattern, smallConfig } from './helpers.js';

describe('motion input (frame difference into the light encoder)', () => {
  it('sees the previous frame: no motion on the first frame, a different output when the previous frame differs', async () => {
    const model = await RVOSModel.create(smallConfig({ motionInput: true }));
    const a = pattern([1, 32, 32, 3]) as tf.Tensor4D;
    const b = pattern([1, 32, 32, 3], 2) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    // Frame b after frame a vs. frame b after itself (zero difference, like a first frame).
    const first = model.step(a, null, model.initialState());
    expect(first.state.previousFrame!.shape).toEqual([1, 32, 32, 3]);
    expect(maxAbsDiff(first.state.previousFrame!, a)).toBe(0);
    const fromA = model.step(b, null, { ...model.initialState(), previousFrame: first.state.previousFrame });
    const still = model.step(b, null, { ...model.initialState(), previousFrame: b });
    const fresh = model.step(b, null, model.initialState());
    expect(maxAbsDiff(still.logits, fresh.logits)).toBeLessThan(1e-6);
    expect(maxAbsDiff(fromA.logits, fresh.logits)).toBeGreaterThan(1e-4);
    for (const out of [first, fromA, still, fresh]) {
      tf.dispose([out.logits, ...(out.objectness ? [out.objectness] : [])]);
      model.disposeState(out.state);
    }
    // first.state was disposed with first; the caller's frames are untouched.
    expect(a.isDisposed || b.isDisposed).toBe(false);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([a, b]);
    model.dispose();
  });

  it('rejects a previous frame of another size and encoders with pretrained RGB stems', async () => {
    const model = await RVOSModel.create(smallConfig({ motionInput: true }));
    const small = pattern([1, 32, 32, 3]) as tf.Tensor4D;
    const large = pattern([1, 64, 64, 3]) as tf.Tensor4D;
    expect(() => model.step(large, null, { ...model.initialState(), previousFrame: small })).toThrow(/previous frame of shape \[1,32,32,3\]/);
    tf.dispose([small, large]);
    model.dispose();
    await expect(RVOSModel.create(smallConfig({ motionInput: true, encoder: { name: 'resnet18', pretrained: null } }))).rejects.toThrow(ConfigError);
  });

  it("first_frame_motion 'next': frame 0's motion is the difference to the next frame; 'zero' ignores it", async () => {
    const next = await RVOSModel.create(smallConfig({ motionInput: true, firstFrameMotion: 'next' }));
    const zero = await RVOSModel.create(smallConfig({ motionInput: true }));
    const a = pattern([1, 32, 32, 3]) as tf.Tensor4D;
    const b = pattern([1, 32, 32, 3], 2) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const initial = next.initialState(b);
    expect(maxAbsDiff(initial.previousFrame!, b)).toBe(0);
    const ahead = next.step(a, null, initial);
    next.disposeState(initial); // the state owns a copy of b
    const explicit = next.step(a, null, { ...next.initialState(), previousFrame: b });
    const none = next.step(a, null, next.initialState());
    const zeroAhead = zero.step(a, null, zero.initialState(b));
    const zeroNone = zero.step(a, null, zero.initialState());
    // Same weights (same seed): 'next' equals stepping after frame b; without a next frame it is the zero-motion output.
    expect(maxAbsDiff(ahead.logits, explicit.logits)).toBeLessThan(1e-6);
    expect(maxAbsDiff(ahead.logits, none.logits)).toBeGreaterThan(1e-4);
    expect(maxAbsDiff(zeroAhead.logits, zeroNone.logits)).toBeLessThan(1e-6);
    expect(maxAbsDiff(none.logits, zeroNone.logits)).toBeLessThan(1e-6);
    for (const out of [ahead, none, zeroAhead, zeroNone]) {
      tf.dispose([out.logits, ...(out.objectness ? [out.objectness] : [])]);
      next.disposeState(out.state);
    }
    // `explicit` used the caller's b as its state's previous frame: dispose only its own tensors.
    tf.dispose([explicit.logits, ...(explicit.state.temporal ?? []).flat()]);
    explicit.state.previousFrame?.dispose();
    expect(b.isDisposed).toBe(false);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([a, b]);
    next.dispose();
    zero.dispose();
    await expect(RVOSModel.create(smallConfig({ motionInput: true, firstFrameMotion: 'last' as never }))).rejects.toThrow(
      /first_frame_motion: must be zero \| next/,
    );
  });
});

import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it, vi } from 'vitest';
import { InferenceCore, logitsToLabels, RVOSModel, type FrameOutput, type GivenObjects, type InferenceOptions } from '../../src/models/index.js';
import { pattern, smallConfig } from './helpers.js';

const SOFT: InferenceOptions = { previousMask: 'soft', threshold: 0.5, objectnessThreshold: 0.5 };

/** The rule written out: steps the model by hand with `inputs(t, previous output probabilities)`. */
function manual(model: RVOSModel, frames: tf.Tensor4D[], inputs: (t: number, prev: tf.Tensor4D | null) => tf.Tensor4D | null): Float32Array[] {
  let state = model.initialState();
  let prev: tf.Tensor4D | null = null;
  const out: Float32Array[] = [];
  const made: tf.Tensor[] = [];
  frames.forEach((f, t) => {
    const input = inputs(t, prev);
    if (input !== null) made.push(input);
    const s = model.step(f, input, state);
    model.disposeState(state);
    state = s.state;
    prev = tf.sigmoid(s.logits);
    made.push(prev);
    out.push(s.logits.dataSync() as Float32Array);
    tf.dispose([s.logits, s.objectness ?? []].flat());
  });
  model.disposeState(state);
  tf.dispose(made);
  return out;
}

/** Slot `s` of `slotSource`, the other slots of `rest`. */
function withSlot(rest: tf.Tensor4D, slotSource: tf.Tensor4D, s: number): tf.Tensor4D {
  return tf.tidy(() => {
    const parts = Array.from({ length: rest.shape[3] }, (_, k) => tf.slice(k === s ? slotSource : rest, [0, 0, 0, k], [-1, -1, -1, 1]));
    return tf.concat(parts, 3) as tf.Tensor4D;
  });
}

function runCore(
  core: InferenceCore,
  frames: tf.Tensor4D[],
  given: (t: number) => GivenObjects | undefined,
): { logits: Float32Array[]; outputs: Omit<FrameOutput, 'logits'>[] } {
  core.startVideo();
  const logits: Float32Array[] = [];
  const outputs: Omit<FrameOutput, 'logits'>[] = [];
  frames.forEach((f, t) => {
    const out = core.step(f, given(t));
    logits.push(out.logits.dataSync() as Float32Array);
    outputs.push({ objectness: out.objectness, keep: out.keep });
    out.logits.dispose();
  });
  core.dispose();
  return { logits, outputs };
}

describe('InferenceCore', () => {
  const frames = [0, 1, 2, 3, 4].map((t) => pattern([1, 32, 48, 3], t) as tf.Tensor4D);
  const first = pattern([1, 32, 48, 3], 9) as tf.Tensor4D;
  const late = pattern([1, 32, 48, 3], 11) as tf.Tensor4D;

  it('zero-shot: the same logits as stepping by hand; reports slots by objectness; leaves no tensors', async () => {
    const model = await RVOSModel.create(smallConfig({ objectness: true }));
    const core = new InferenceCore(model, { ...SOFT, objectnessThreshold: 0.5 });
    const before = tf.memory().numTensors;
    const { logits, outputs } = runCore(core, frames, () => undefined);
    expect(tf.memory().numTensors).toBe(before);
    const want = manual(model, frames, () => null);
    logits.forEach((l, t) => expect(Array.from(l), `frame ${t}`).toEqual(Array.from(want[t]!)));
    for (const o of outputs) {
      expect(o.objectness).toHaveLength(3);
      expect(o.keep).toEqual(Array.from(o.objectness!, (p) => p > 0.5));
    }
    // A threshold above every probability reports nothing; below every one reports every slot.
    expect(runCore(new InferenceCore(model, { ...SOFT, objectnessThreshold: 1 }), frames, () => undefined).outputs[0]!.keep).toEqual([false, false, false]);
    expect(runCore(new InferenceCore(model, { ...SOFT, objectnessThreshold: 0 }), frames, () => undefined).outputs[0]!.keep).toEqual([true, true, true]);
    expect(() => new InferenceCore(model, SOFT).step(frames[0]!, { ids: [1], masks: first })).toThrow(/zero_shot/);
    model.dispose();
  });

  it('one-shot: frames 0 and 1 see the frame-0 masks (given slots only), later frames the previous soft output', async () => {
    const model = await RVOSModel.create(smallConfig({ mode: 'one_shot' }));
    const core = new InferenceCore(model, SOFT);
    const before = tf.memory().numTensors;
    // Objects 1 and 3 are given; slot 1 (object 2) must be zeros in the frame-0 input.
    const { logits, outputs } = runCore(core, frames, (t) => (t === 0 ? { ids: [1, 3], masks: first } : undefined));
    expect(tf.memory().numTensors).toBe(before);
    const firstGiven = withSlot(first, tf.zerosLike(first), 1);
    const want = manual(model, frames, (t, prev) => tf.clone(t <= 1 ? firstGiven : prev!));
    logits.forEach((l, t) => expect(Array.from(l), `frame ${t}`).toEqual(Array.from(want[t]!)));
    for (const o of outputs) expect(o.keep).toEqual([true, false, true]);
    firstGiven.dispose();
    model.dispose();
  });

  it("one-shot 'binary': later frames see the previous output thresholded", async () => {
    const model = await RVOSModel.create(smallConfig({ mode: 'one_shot' }));
    const { logits } = runCore(new InferenceCore(model, { ...SOFT, previousMask: 'binary', threshold: 0.4 }), frames, (t) =>
      t === 0 ? { ids: [1, 2, 3], masks: first } : undefined,
    );
    const want = manual(model, frames, (t, prev) => (t <= 1 ? tf.clone(first) : tf.tidy(() => tf.cast(tf.greater(prev!, 0.4), 'float32') as tf.Tensor4D)));
    logits.forEach((l, t) => expect(Array.from(l), `frame ${t}`).toEqual(Array.from(want[t]!)));
    const soft = manual(model, frames, (t, prev) => tf.clone(t <= 1 ? first : prev!));
    expect(Array.from(logits[2]!)).not.toEqual(Array.from(soft[2]!));
    model.dispose();
  });

  it('a late object given at frame f enters its slot at frames f and f + 1 (as frame-0 objects at 0 and 1), and is reported from f on', async () => {
    const model = await RVOSModel.create(smallConfig({ mode: 'one_shot', objectness: true }));
    const core = new InferenceCore(model, SOFT);
    const before = tf.memory().numTensors;
    const { logits, outputs } = runCore(core, frames, (t) => (t === 0 ? { ids: [1], masks: first } : t === 2 ? { ids: [3], masks: late } : undefined));
    expect(tf.memory().numTensors).toBe(before);
    const firstGiven = tf.tidy(() => withSlot(tf.zerosLike(first), first, 0));
    const want = manual(model, frames, (t, prev) => {
      if (t <= 1) return tf.clone(firstGiven);
      return t === 2 || t === 3 ? withSlot(prev!, late, 2) : tf.clone(prev!);
    });
    logits.forEach((l, t) => expect(Array.from(l), `frame ${t}`).toEqual(Array.from(want[t]!)));
    // Only at f: frame 3 would differ.
    const onlyAtF = manual(model, frames, (t, prev) => (t <= 1 ? tf.clone(firstGiven) : t === 2 ? withSlot(prev!, late, 2) : tf.clone(prev!)));
    expect(Array.from(logits[3]!)).not.toEqual(Array.from(onlyAtF[3]!));
    expect(outputs.map((o) => o.keep)).toEqual([
      [true, false, false],
      [true, false, false],
      [true, false, true],
      [true, false, true],
      [true, false, true],
    ]);
    firstGiven.dispose();
    model.dispose();
  });

  it('a new video starts from the initial state: the same video twice gives the same logits', async () => {
    const model = await RVOSModel.create(smallConfig({ mode: 'one_shot' }));
    const core = new InferenceCore(model, SOFT);
    const a = runCore(core, frames, (t) => (t === 0 ? { ids: [1, 2], masks: first } : undefined)).logits;
    const b = runCore(core, frames, (t) => (t === 0 ? { ids: [1, 2], masks: first } : undefined)).logits;
    expect(b.map((l) => Array.from(l))).toEqual(a.map((l) => Array.from(l)));
    expect(() => new InferenceCore(model, { ...SOFT, previousMask: 'hard' as 'soft' })).toThrow(/previousMask/);
    model.dispose();
  });

  it('first_frame_motion=next: startVideo(frame 1) gives frame 0 its look-ahead motion reference', async () => {
    const model = await RVOSModel.create(smallConfig({ motionInput: true, firstFrameMotion: 'next' }));
    const core = new InferenceCore(model, SOFT);
    expect(core.firstFrameLookahead).toBe(true);
    core.startVideo(frames[1]!);
    const out = core.step(frames[0]!);
    const got = Array.from(out.logits.dataSync());
    out.logits.dispose();
    core.dispose();
    const state = model.initialState(frames[1]!);
    const want = model.step(frames[0]!, null, state);
    expect(got).toEqual(Array.from(want.logits.dataSync()));
    const plain = model.step(frames[0]!, null, model.initialState());
    expect(got).not.toEqual(Array.from(plain.logits.dataSync()));
    for (const s of [state, want.state, plain.state]) model.disposeState(s);
    tf.dispose([want.logits, plain.logits]);
    expect(new InferenceCore(await RVOSModel.create(smallConfig()), SOFT).firstFrameLookahead).toBe(false);
    model.dispose();
  });

  it('tells the model which slots are given and entering, and shows each state to inspect before freeing it', async () => {
    const model = await RVOSModel.create(smallConfig({ mode: 'one_shot' }));
    const core = new InferenceCore(model, SOFT);
    const seen: unknown[] = [];
    const step = vi.spyOn(model, 'step');
    const given = [{ ids: [2], masks: first }, undefined, { ids: [1], masks: late }, undefined];
    given.forEach((g, t) => {
      const out = core.step(frames[t]!, g, (before, after) => {
        // `before` is the state the previous frame returned (still alive), `after` this frame's.
        if (t > 0) expect(before).toBe(seen.at(-1));
        seen.push(after);
      });
      out.logits.dispose();
    });
    expect(step.mock.calls.map((c) => c[3])).toEqual([
      { given: [1], entering: [1] },
      { given: [1], entering: [] },
      { given: [0, 1], entering: [0] },
      { given: [0, 1], entering: [] },
    ]);
    step.mockRestore();
    core.dispose();
    model.dispose();
  });

  it('logitsToLabels paints each pixel with the most probable kept slot above the threshold', () => {
    // 1x2 image, 3 slots. Pixel 0: slot 2 wins but is not kept → slot 0. Pixel 1: all below 0.5.
    const logits = tf.tensor4d([2, -5, 3, -1, -2, -3], [1, 1, 2, 3]);
    expect(Array.from(logitsToLabels(logits, [true, true, false], 2, 1, 0.5).data)).toEqual([1, 0]);
    logits.dispose();
  });
});

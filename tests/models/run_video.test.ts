import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { disposeVideoOutput, RVOSModel, runVideo } from '../../src/models/index.js';
import { pattern, smallConfig } from './helpers.js';

/** The RVOS one-shot rule written out: previous-mask input per frame → probabilities per frame. */
function manual(model: RVOSModel, frames: tf.Tensor4D[], inputs: (t: number, prev: tf.Tensor4D | null) => tf.Tensor4D | null): Float32Array[] {
  let state = model.initialState();
  let prev: tf.Tensor4D | null = null;
  const out: Float32Array[] = [];
  frames.forEach((f, t) => {
    const s = model.step(f, inputs(t, prev), state);
    model.disposeState(state);
    state = s.state;
    prev?.dispose();
    prev = tf.sigmoid(s.logits);
    out.push(prev.dataSync() as Float32Array);
    tf.dispose([s.logits, s.objectness ?? []].flat());
  });
  model.disposeState(state);
  (prev as tf.Tensor | null)?.dispose();
  return out;
}

describe('runVideo', () => {
  const frames = [0, 1, 2, 3].map((t) => pattern([1, 32, 48, 3], t) as tf.Tensor4D);

  it('zero-shot: probabilities and objectness per frame, same as stepping by hand', async () => {
    const model = await RVOSModel.create(smallConfig({ objectness: true }));
    const out = await runVideo(model, frames);
    expect(out.frames).toHaveLength(4);
    expect(out.frames[0]!.objectness!.shape).toEqual([1, 3]);
    const want = manual(model, frames, () => null);
    out.frames.forEach((f, t) => expect(Array.from(f.probabilities.dataSync())).toEqual(Array.from(want[t]!)));
    disposeVideoOutput(out);
    model.dispose();
  });

  it('one-shot: frames 0 and 1 see the first masks, later frames the previous soft output; late objects enter their slots', async () => {
    const model = await RVOSModel.create(smallConfig({ mode: 'one_shot' }));
    const first = pattern([1, 32, 48, 3], 9) as tf.Tensor4D;
    const late = pattern([1, 32, 48, 3], 11) as tf.Tensor4D;
    const out = await runVideo(model, frames, { firstMasks: first });
    const want = manual(model, frames, (t, prev) => (t <= 1 ? first : prev));
    out.frames.forEach((f, t) => expect(Array.from(f.probabilities.dataSync()), `frame ${t}`).toEqual(Array.from(want[t]!)));
    // Slot 2 gets `late` at frames 2 and 3.
    const withLate = await runVideo(model, frames, { firstMasks: first, lateMasks: [{ frame: 2, masks: late, slots: [2] }] });
    const pick = (prev: tf.Tensor4D): tf.Tensor4D => tf.concat([tf.slice(prev, [0, 0, 0, 0], [-1, -1, -1, 2]), tf.slice(late, [0, 0, 0, 2], [-1, -1, -1, 1])], 3);
    const made: tf.Tensor[] = [];
    const wantLate = manual(model, frames, (t, prev) => {
      if (t <= 1) return first;
      const m = pick(prev!);
      made.push(m);
      return m;
    });
    withLate.frames.forEach((f, t) => expect(Array.from(f.probabilities.dataSync()), `frame ${t}`).toEqual(Array.from(wantLate[t]!)));
    expect(Array.from(withLate.frames[2]!.probabilities.dataSync())).not.toEqual(Array.from(want[2]!));
    await expect(runVideo(model, frames)).rejects.toThrow(/firstMasks/);
    tf.dispose([first, late, ...made]);
    disposeVideoOutput(out);
    disposeVideoOutput(withLate);
    model.dispose();
  });

  it('with keep: false hands each frame to onFrame and leaves no tensors behind', async () => {
    const model = await RVOSModel.create(smallConfig({ mode: 'one_shot', objectness: true }));
    const first = pattern([1, 32, 48, 3], 9) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const seen: number[] = [];
    const out = await runVideo(model, frames, {
      firstMasks: first,
      keep: false,
      onFrame: (t, f) => {
        expect(f.probabilities.shape).toEqual([1, 32, 48, 3]);
        seen.push(t);
      },
    });
    expect(out.frames).toEqual([]);
    expect(seen).toEqual([0, 1, 2, 3]);
    expect(tf.memory().numTensors).toBe(before);
    first.dispose();
    model.dispose();
  });
});

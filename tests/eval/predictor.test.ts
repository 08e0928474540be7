import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { labelsToSlotMasks, predictSequence } from '../../src/eval/predictor.js';
import { memorySequence, synthesizeVideo } from '../../src/data/index.js';
import { InferenceCore, RVOSModel, type VideoSegmenter } from '../../src/models/index.js';
import { Rng } from '../../src/utils/rng.js';

describe('predictor', () => {
  it('turns a label map into one-hot slot masks (ids 1..S → slots 0..S−1, others dropped)', () => {
    const label = { width: 3, height: 1, data: new Uint8Array([0, 2, 5]) };
    expect(Array.from(labelsToSlotMasks(label, 2, [1, 3]).dataSync())).toEqual([0, 0, 0, 1, 0, 0]);
  });

  it('one-shot output uses only the ids given in the first frame, with flat memory', async () => {
    const v = synthesizeVideo(new Rng(2), { frames: 4, size: [32, 32], objects: [2, 2] });
    const first = { ...v.labels[0]!, data: v.labels[0]!.data.map((id) => (id === 1 ? 1 : 0)) };
    const seq = memorySequence('s', v.frames, [first, null, null, null]);
    const model = await RVOSModel.create({
      encoder: { name: 'light', pretrained: null },
      hidden: 8,
      slots: 3,
      recurrence: 'ST',
      mode: 'one_shot',
      objectness: false,
      seed: 1,
    });
    const before = tf.memory().numTensors;
    const { labels } = await predictSequence(new InferenceCore(model, { previousMask: 'soft', threshold: 0, objectnessThreshold: 0.5 }), seq, {
      size: [32, 32],
      threshold: 0,
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(labels).toHaveLength(4);
    const ids = new Set(labels.flatMap((l) => [...l.data]));
    // Threshold 0 makes every pixel foreground: all of them must be object 1, the only given object.
    expect([...ids]).toEqual([1]);
    model.dispose();
  });

  it("one-shot: gives frame 0's objects at frame 0 and an object first annotated at frame 2 at frame 2, each with its own mask", async () => {
    const v = synthesizeVideo(new Rng(3), { frames: 4, size: [16, 16], objects: [2, 2] });
    const only = (id: number, l = v.labels[0]!) => ({ ...l, data: l.data.map((x) => (x === id ? id : 0)) });
    // Object 1 from frame 0; object 2 first annotated at frame 2 (frame 3 unannotated).
    const seq = memorySequence('late', v.frames, [only(1), only(1, v.labels[1]!), { ...v.labels[2]! }, null]);
    const seen: { t: number; ids: number[]; pixels: number[] }[] = [];
    let t = 0;
    const stub: VideoSegmenter = {
      slots: 3,
      mode: 'one_shot',
      firstFrameLookahead: false,
      startVideo: () => (t = 0),
      step: (_frame, given) => {
        if (given !== undefined) {
          const m = Array.from(given.masks.dataSync());
          seen.push({ t, ids: given.ids, pixels: [0, 1, 2].map((s) => m.filter((_, i) => i % 3 === s).reduce((a, b) => a + b, 0)) });
        }
        t++;
        return { logits: tf.zeros([1, 16, 16, 3]), objectness: null, keep: [true, true, true] };
      },
      dispose: () => undefined,
    };
    const before = tf.memory().numTensors;
    await predictSequence(stub, seq, { size: [16, 16], threshold: 0.5 });
    expect(tf.memory().numTensors).toBe(before);
    const count = (l: { data: Uint8Array }, id: number) => l.data.filter((x) => x === id).length;
    expect(seen).toEqual([
      { t: 0, ids: [1], pixels: [count(v.labels[0]!, 1), 0, 0] },
      { t: 2, ids: [2], pixels: [0, count(v.labels[2]!, 2), 0] },
    ]);
    expect(count(v.labels[2]!, 2)).toBeGreaterThan(0);
  });

  it('warns, naming the ids, when a first mask has more objects than the model has slots', async () => {
    const v = synthesizeVideo(new Rng(4), { frames: 3, size: [32, 32], objects: [3, 3] });
    const seq = memorySequence('three', v.frames, [v.labels[0]!, null, null]);
    const model = await RVOSModel.create({
      encoder: { name: 'light', pretrained: null },
      hidden: 8,
      slots: 1,
      recurrence: 'ST',
      mode: 'one_shot',
      objectness: false,
      seed: 1,
    });
    const warnings: string[] = [];
    const core = new InferenceCore(model, { previousMask: 'soft', threshold: 0, objectnessThreshold: 0.5 });
    const { labels } = await predictSequence(core, seq, { size: [32, 32], threshold: 0, warn: (m) => warnings.push(m) });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/three frame .*: object ids 2, 3 exceed the model's 1 slots/);
    expect(new Set(labels.flatMap((l) => [...l.data]))).toEqual(new Set([1]));
    // Within the slots: no warning.
    const quiet: string[] = [];
    const first = { ...v.labels[0]!, data: v.labels[0]!.data.map((id) => (id === 1 ? 1 : 0)) };
    await predictSequence(core, memorySequence('one', v.frames, [first, null, null]), { size: [32, 32], threshold: 0.5, warn: (m) => quiet.push(m) });
    expect(quiet).toEqual([]);
    model.dispose();
  });
});

import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { labelsToSlotMasks, predictSequence, probabilitiesToLabels } from '../../src/eval/predictor.js';
import { memorySequence, synthesizeVideo } from '../../src/data/index.js';
import { RVOSModel } from '../../src/models/index.js';
import { Rng } from '../../src/utils/rng.js';

describe('predictor', () => {
  it('turns a label map into one-hot slot masks (ids 1..S → slots 0..S−1, others dropped)', () => {
    const label = { width: 3, height: 1, data: new Uint8Array([0, 2, 5]) };
    expect(Array.from(labelsToSlotMasks(label, 2, [1, 3]).dataSync())).toEqual([0, 0, 0, 1, 0, 0]);
  });

  it('paints each pixel with the most probable kept slot above the threshold', () => {
    // 1x2 image, 3 slots. Pixel 0: slot 2 wins but is not kept → slot 0. Pixel 1: all below 0.5.
    const logits = tf.tensor4d([2, -5, 3, -1, -2, -3], [1, 1, 2, 3]);
    const labels = probabilitiesToLabels(logits, [true, true, false], 2, 1, 0.5);
    expect(Array.from(labels.data)).toEqual([1, 0]);
  });

  it('one-shot output uses only the ids given in the first frame, with flat memory', async () => {
    const v = synthesizeVideo(new Rng(2), { frames: 4, size: [32, 32], objects: [2, 2] });
    const first = { ...v.labels[0]!, data: v.labels[0]!.data.map((id) => (id === 1 ? 1 : 0)) };
    const seq = memorySequence('s', v.frames, [first, null, null, null]);
    const model = await RVOSModel.create({ encoder: { name: 'light', pretrained: null }, hidden: 8, slots: 3, recurrence: 'ST', mode: 'one_shot', objectness: false, seed: 1 });
    await predictSequence(model, seq, { size: [32, 32], threshold: 0.5, objectnessThreshold: 0.5 });
    const before = tf.memory().numTensors;
    const { labels } = await predictSequence(model, seq, { size: [32, 32], threshold: 0.0, objectnessThreshold: 0.5 });
    expect(tf.memory().numTensors).toBe(before);
    expect(labels).toHaveLength(4);
    const ids = new Set(labels.flatMap((l) => [...l.data]));
    // Threshold 0 makes every pixel foreground: all of them must be object 1, the only given object.
    expect([...ids]).toEqual([1]);
    model.dispose();
  });

  it('warns, naming the ids, when a first mask has more objects than the model has slots', async () => {
    const v = synthesizeVideo(new Rng(4), { frames: 3, size: [32, 32], objects: [3, 3] });
    const seq = memorySequence('three', v.frames, [v.labels[0]!, null, null]);
    const model = await RVOSModel.create({ encoder: { name: 'light', pretrained: null }, hidden: 8, slots: 1, recurrence: 'ST', mode: 'one_shot', objectness: false, seed: 1 });
    const warnings: string[] = [];
    const { labels } = await predictSequence(model, seq, { size: [32, 32], threshold: 0.0, objectnessThreshold: 0.5, warn: (m) => warnings.push(m) });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/three frame .*: object ids 2, 3 exceed the model's 1 slots/);
    expect(new Set(labels.flatMap((l) => [...l.data]))).toEqual(new Set([1]));
    // Within the slots: no warning.
    const quiet: string[] = [];
    const first = { ...v.labels[0]!, data: v.labels[0]!.data.map((id) => (id === 1 ? 1 : 0)) };
    await predictSequence(model, memorySequence('one', v.frames, [first, null, null]), { size: [32, 32], threshold: 0.5, objectnessThreshold: 0.5, warn: (m) => quiet.push(m) });
    expect(quiet).toEqual([]);
    model.dispose();
  });
});

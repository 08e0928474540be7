// The non-learned zero-shot floors: the motion blob finds the object that moves in a generated video
// with a panning camera, a still video gives nothing, and `empty` reports no object.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { zeroShotFloorSegmenter } from '../../../src/models/baselines/motion_floor.js';
import { largestBlob, motionBlob } from '../../../src/models/motion_blob.js';
import { DIFFICULTY_PRESETS } from '../../../src/data/synth/options.js';
import { synthesizeVideo } from '../../../src/data/synth/video.js';
import { logitsToLabels } from '../../../src/models/inference_core.js';
import { Rng } from '../../../src/utils/rng.js';

const SIZE = 64;

/** A generated one-object video with a panning camera and a fast object, frames as [1, H, W, 3] in [0, 1]. */
function video(seed: number, still = false) {
  const motion = still ? { cameraPan: 0, speed: 0, acceleration: 0, rotation: 0, scaleChange: 0 } : { cameraPan: 0.03, speed: 0.08 };
  const d = { ...DIFFICULTY_PRESETS.default, ...motion, noise: 0, flicker: 0 };
  const v = synthesizeVideo(new Rng(seed), { frames: 6, size: [SIZE, SIZE], objects: [1, 1], difficulty: d });
  const frames = v.frames.map((f) =>
    tf.tensor4d(
      Float32Array.from(f.data, (x) => x / 255),
      [1, SIZE, SIZE, 3],
    ),
  );
  return { frames, labels: v.labels.map((l) => l.data) };
}

function iou(a: Uint8Array, b: Uint8Array): number {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] && b[i]) inter++;
    if (a[i] || b[i]) union++;
  }
  return union === 0 ? 1 : inter / union;
}

describe('largestBlob', () => {
  it('keeps the largest 8-connected region and fills its hole', () => {
    // 6 × 6: a ring of 8 pixels around (2, 2) (a hole in the middle), a diagonal pair elsewhere.
    const m = new Uint8Array(36);
    for (const [y, x] of [
      [1, 1],
      [1, 2],
      [1, 3],
      [2, 1],
      [2, 3],
      [3, 1],
      [3, 2],
      [3, 3],
      [4, 5],
      [5, 4],
    ])
      m[y! * 6 + x!] = 1;
    const blob = largestBlob(m, 6, 6);
    const set = [...blob.keys()].filter((i) => blob[i] === 1).map((i) => [Math.floor(i / 6), i % 6]);
    expect(set).toEqual([
      [1, 1],
      [1, 2],
      [1, 3],
      [2, 1],
      [2, 2],
      [2, 3],
      [3, 1],
      [3, 2],
      [3, 3],
    ]);
    expect([...largestBlob(new Uint8Array(36), 6, 6)].every((v) => v === 0)).toBe(true);
  });
});

describe('the motion-blob floor', () => {
  it('finds the moving object under a camera pan', () => {
    const ious: number[] = [];
    for (const seed of [1, 2, 3]) {
      const { frames, labels } = video(seed);
      for (let t = 1; t < frames.length; t++) {
        const object = Uint8Array.from(labels[t]!, (v) => (v === 1 ? 1 : 0));
        ious.push(iou(motionBlob(frames[t]!, frames[t - 1]!), object));
      }
      tf.dispose(frames);
    }
    const mean = ious.reduce((a, b) => a + b, 0) / ious.length;
    // The blob covers the object's old and new positions (and some background the pan leaves).
    expect(mean).toBeGreaterThan(0.5);
  });

  it('finds nothing in a still video', () => {
    const { frames } = video(4, true);
    expect([...motionBlob(frames[2]!, frames[1]!)].filter((v) => v === 1).length).toBe(0);
    tf.dispose(frames);
  });

  it('run by the inference core: one slot from frame 0 on (frame 1 as its reference), no tensors left', () => {
    const { frames, labels } = video(2);
    const before = tf.memory().numTensors;
    const seg = zeroShotFloorSegmenter('motion_blob', 3);
    expect(seg.firstFrameLookahead).toBe(true);
    seg.startVideo(frames[1]!);
    const found: number[] = [];
    for (const frame of frames) {
      const out = seg.step(frame);
      const label = logitsToLabels(out.logits, out.keep, SIZE, SIZE, 0.5);
      expect(label.data.every((v) => v <= 1)).toBe(true); // one object at most
      out.logits.dispose();
      found.push(
        iou(
          Uint8Array.from(label.data, (v) => (v === 1 ? 1 : 0)),
          Uint8Array.from(labels[found.length]!, (v) => (v === 1 ? 1 : 0)),
        ),
      );
    }
    seg.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(found[0]).toBeGreaterThan(0.2);
    expect(found.slice(1).reduce((a, b) => a + b, 0) / (found.length - 1)).toBeGreaterThan(0.4);
    tf.dispose(frames);
  });

  it('`empty` labels no pixel', () => {
    const { frames } = video(2);
    const seg = zeroShotFloorSegmenter('empty', 2);
    expect(seg.firstFrameLookahead).toBe(false);
    seg.startVideo();
    for (const frame of frames) {
      const out = seg.step(frame);
      expect([...logitsToLabels(out.logits, out.keep, SIZE, SIZE, 0.5).data].every((v) => v === 0)).toBe(true);
      out.logits.dispose();
    }
    seg.dispose();
    tf.dispose(frames);
  });
});

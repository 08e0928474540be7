// Label propagation by feature matching (model.family=feature_propagation): the maths on small
// hand-made features (patch descriptors), then the real family (MobileNetV2 with seeded weights)
// through a run, save/load and `rvos infer` on a tiny synthetic video.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { composeConfig } from '../../../src/config/index.js';
import { ConfigError } from '../../../src/utils/errors.js';
import { runTraining } from '../../../src/experiments/run/run.js';
import { baselineConfigOf, loadAnyModel } from '../../../src/experiments/run/model_family.js';
import { readLabelPng } from '../../../src/data/index.js';
import { InferenceCore, logitsToLabels } from '../../../src/models/inference_core.js';
import {
  FeaturePropagationModel,
  propagateLabels,
  GridWindow,
  type FeatureExtractor,
  type FeaturePropagationConfig,
  type FeaturePropagationOptions,
} from '../../../src/models/baselines/index.js';
import { Rng } from '../../../src/utils/rng.js';
import { motionMask } from '../../../src/models/motion_blob.js';

const STRIDE = 4;

/** Patch descriptors: each stride x stride patch's centred RGB values as one feature vector. */
class PatchFeatures implements FeatureExtractor {
  readonly stride = STRIDE;
  features(frame: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const [, h, w] = frame.shape;
      const s = STRIDE;
      const patches = tf.transpose(tf.reshape(tf.sub(frame, 0.5), [1, h / s, s, w / s, s, 3]), [0, 1, 3, 2, 4, 5]);
      return tf.reshape(patches, [1, h / s, w / s, s * s * 3]) as tf.Tensor4D;
    });
  }
  dispose(): void {}
}

const OPTIONS: FeaturePropagationOptions = {
  pretrained: null,
  inputShortSide: 32,
  tapStride: 4,
  topK: 1,
  temperature: 0.05,
  contextFrames: 1,
  radius: null,
  givenRadius: 'same',
  maxAffinityElements: 1 << 20,
  motionShortSide: 32,
  motionWeight: 0.5,
  motionRegions: 'largest',
  motionAlignment: 'translation',
  motionTolerance: 0,
  motionKeepsFirstFrame: true,
  motionAtPixels: false,
};

function fakeModel(slots: number, options: Partial<FeaturePropagationOptions> = {}): FeaturePropagationModel {
  const config: FeaturePropagationConfig = { family: 'feature_propagation', slots, seed: 1, featurePropagation: { ...OPTIONS, ...options } };
  return FeaturePropagationModel.withExtractor(config, new PatchFeatures());
}

/** A random RGB texture [h, w, 3] in [0, 1]. */
function texture(h: number, w: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: h * w * 3 }, () => rng.next());
}

/** The h x w window of a texture of width `tw` whose top-left corner is (y0, x0), as a frame [1, h, w, 3]. */
function crop(tex: Float32Array, tw: number, y0: number, x0: number, h: number, w: number): tf.Tensor4D {
  const out = new Float32Array(h * w * 3);
  for (let y = 0; y < h; y++) out.set(tex.subarray(((y0 + y) * tw + x0) * 3, ((y0 + y) * tw + x0 + w) * 3), y * w * 3);
  return tf.tensor4d(out, [1, h, w, 3]);
}

/** Label map h x w with id `id` on each rectangle [y0, x0, y1, x1) (exclusive ends). */
function rects(h: number, w: number, boxes: [number, number, number, number, number][]): Uint8Array {
  const data = new Uint8Array(h * w);
  for (const [id, y0, x0, y1, x1] of boxes) for (let y = y0; y < y1; y++) data.fill(id, y * w + x0, y * w + x1);
  return data;
}

function oneHot(labels: Uint8Array, h: number, w: number, slots: number): tf.Tensor4D {
  const data = new Float32Array(h * w * slots);
  labels.forEach((id, i) => {
    if (id > 0) data[i * slots + id - 1] = 1;
  });
  return tf.tensor4d(data, [1, h, w, slots]);
}

/** Runs frames through the inference core with `first` given at frame 0; label maps of every frame. */
function track(model: FeaturePropagationModel, frames: tf.Tensor4D[], first: Uint8Array, slots: number): Uint8Array[] {
  const [, h, w] = frames[0]!.shape;
  const core = new InferenceCore(model, { previousMask: 'soft', threshold: 0.5, objectnessThreshold: 0.5 });
  core.startVideo();
  const ids = [...new Set(first)].filter((i) => i > 0);
  const masks = oneHot(first, h, w, slots);
  const out = frames.map((frame, t) => {
    const step = core.step(frame, t === 0 ? { ids, masks } : undefined);
    const labels = logitsToLabels(step.logits, step.keep, w, h, 0.5).data;
    step.logits.dispose();
    return labels;
  });
  core.dispose();
  masks.dispose();
  return out;
}

function iou(a: Uint8Array, b: Uint8Array, id: number): number {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] === id;
    const y = b[i] === id;
    if (x && y) inter++;
    if (x || y) union++;
  }
  return union === 0 ? 1 : inter / union;
}

describe('feature_propagation', () => {
  it("identical frames reproduce the first mask exactly (bilinear upsampling rounds a rectangle's four corner pixels)", () => {
    const [h, w] = [32, 40];
    const tex = texture(h, w, 7);
    const frames = Array.from({ length: 4 }, () => crop(tex, w, 0, 0, h, w));
    // A vertical band (no corners) comes back pixel for pixel.
    const band = rects(h, w, [[1, 0, 4, h, 16]]);
    const model = fakeModel(1);
    for (const l of track(model, frames, band, 1)) expect(Array.from(l)).toEqual(Array.from(band));
    // A rectangle: every pixel but its four corners, where the upsampled label is 0.5625² < 0.5.
    const box = rects(h, w, [[1, 8, 4, 20, 16]]);
    const corners = new Set([8 * w + 4, 8 * w + 15, 19 * w + 4, 19 * w + 15]);
    const labels = track(model, frames, box, 1);
    expect(Array.from(labels[0]!)).toEqual(Array.from(box));
    for (const l of labels.slice(1)) {
      const differ = [...l.keys()].filter((i) => l[i] !== box[i]);
      expect(differ).toEqual([...corners].sort((a, b) => a - b));
    }
    tf.dispose(frames);
    model.dispose();
  });

  it('a texture translated by a few pixels: the mask follows the translation', () => {
    const [h, w, d] = [32, 32, 4];
    const tex = texture(h, w, 11);
    // The whole frame moves right by d pixels a frame, wrapping around (no unseen content enters).
    const rolled = (shift: number): tf.Tensor4D => {
      const out = new Float32Array(h * w * 3);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out.set(tex.subarray((y * w + x) * 3, (y * w + x) * 3 + 3), (y * w + ((x + shift) % w)) * 3);
      return tf.tensor4d(out, [1, h, w, 3]);
    };
    const frames = [0, 1, 2, 3].map((t) => rolled(t * d));
    const box = (t: number): [number, number, number, number, number] => [1, 8, 4 + t * d, 24, 16 + t * d];
    const model = fakeModel(1, { topK: 3, contextFrames: 2 });
    const labels = track(model, frames, rects(h, w, [box(0)]), 1);
    for (const t of [1, 2, 3]) {
      expect(iou(labels[t]!, rects(h, w, [box(t)]), 1)).toBeGreaterThan(0.95);
      expect(iou(labels[t]!, rects(h, w, [box(0)]), 1)).toBeLessThan(0.7);
    }
    tf.dispose(frames);
    model.dispose();
  });

  it('two objects moving apart keep their ids', () => {
    const [h, w] = [32, 48];
    const background = texture(h, w, 3);
    const objects = [texture(12, 12, 4), texture(12, 12, 5)];
    // Object 1 moves right by 4 px a frame, object 2 left; the background stays.
    const at = (t: number): [number, number, number][] => [
      [1, 4, 8 + 4 * t],
      [2, 16, 28 - 4 * t],
    ];
    const frameAt = (t: number): tf.Tensor4D => {
      const data = Float32Array.from(background);
      for (const [id, y0, x0] of at(t)) for (let y = 0; y < 12; y++) data.set(objects[id - 1]!.subarray(y * 36, y * 36 + 36), ((y0 + y) * w + x0) * 3);
      return tf.tensor4d(data, [1, h, w, 3]);
    };
    const boxes = (t: number) => at(t).map(([id, y0, x0]): [number, number, number, number, number] => [id, y0, x0, y0 + 12, x0 + 12]);
    const frames = [0, 1, 2].map(frameAt);
    const model = fakeModel(2, { topK: 1, contextFrames: 1 });
    const labels = track(model, frames, rects(h, w, boxes(0)), 2);
    for (const t of [1, 2]) {
      const truth = rects(h, w, boxes(t));
      // The strip an object uncovers is background never seen before: its matches are arbitrary,
      // so a few of its pixels may take either label.
      expect(iou(labels[t]!, truth, 1)).toBeGreaterThan(0.8);
      expect(iou(labels[t]!, truth, 2)).toBeGreaterThan(0.8);
      // No id swap: object 1's pixels are never labelled 2 and vice versa.
      const swapped = truth.filter((id, i) => id > 0 && labels[t]![i]! > 0 && labels[t]![i] !== id).length;
      expect(swapped).toBe(0);
    }
    tf.dispose(frames);
    model.dispose();
  });

  it('blocks of the affinity give the same labels as one block; a window keeps distant matches out', () => {
    const rng = new Rng(5);
    const [nq, nr, c] = [37, 50, 6];
    const unit = (n: number) =>
      tf.tidy(() => {
        const x = tf.tensor2d(
          Float32Array.from({ length: n * c }, () => rng.next() - 0.5),
          [n, c],
        );
        return tf.div(x, tf.norm(x, 'euclidean', 1, true)) as tf.Tensor2D;
      });
    const [q, k] = [unit(nq), unit(nr)];
    const labels = tf.tidy(
      () =>
        tf.softmax(
          tf.tensor2d(
            Float32Array.from({ length: nr * 3 }, () => 4 * rng.next()),
            [nr, 3],
          ),
        ) as tf.Tensor2D,
    );
    const options = { topK: 4, temperature: 0.1 };
    const whole = propagateLabels(q, k, labels, { ...options, maxAffinityElements: nq * nr });
    const blocked = propagateLabels(q, k, labels, { ...options, maxAffinityElements: 3 * nr + 7 });
    expect(Array.from(blocked.dataSync())).toEqual(Array.from(whole.dataSync()));
    // Rows sum to one (background is a label).
    for (const s of tf.tidy(() => tf.sum(whole, 1)).arraySync() as number[]) expect(s).toBeCloseTo(1, 5);
    // Radius 0 on a 1-row grid: query i may only take reference i's labels.
    const radiusZero = new GridWindow([1, nq], [0]);
    const same = propagateLabels(q, tf.slice(k, 0, nq), tf.slice(labels, 0, nq), {
      ...options,
      maxAffinityElements: 100,
      window: radiusZero,
    });
    const expected = tf.slice(labels, 0, nq);
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(same, expected))).dataSync()[0]!);
    expect(diff).toBeLessThan(1e-6);
    tf.dispose([q, k, labels, whole, blocked, same, expected]);
    radiusZero.dispose();
  });

  it("a grid window's masks are the Chebyshev test the float32 ops made, per block, made once and freed by dispose", () => {
    const before = tf.memory().numTensors;
    const [h, w, refs] = [5, 7, 3];
    /** The float32 ops the window ran every frame before it was cached, for comparison. */
    const reference = (radius: number, start: number, size: number) =>
      tf.tidy(() => {
        const coords = (times: number) =>
          tf.tensor2d(
            Array.from({ length: times * h * w }, (_, i) => [Math.floor((i % (h * w)) / w), i % w]),
            [times * h * w, 2],
          );
        const [qc, kc] = [tf.slice(coords(1), [start, 0], [size, 2]), coords(refs)];
        const dy = tf.abs(tf.sub(tf.slice(qc, [0, 0], [size, 1]), tf.reshape(tf.slice(kc, [0, 0], [-1, 1]), [1, -1])));
        const dx = tf.abs(tf.sub(tf.slice(qc, [0, 1], [size, 1]), tf.reshape(tf.slice(kc, [0, 1], [-1, 1]), [1, -1])));
        return Array.from(tf.greater(tf.maximum(dy, dx), radius).dataSync());
      });
    // 2.9999999999 is 3 in float32: distance 3 stays inside, as it did in the ops.
    for (const radius of [0, 1, 1.5, 2.9999999999, 10]) {
      const window = new GridWindow([h, w], Array<number>(refs).fill(radius));
      for (const [start, size] of [
        [0, h * w],
        [4, 9],
        [h * w - 1, 1],
      ] as const) {
        const mask = window.outside(start, size);
        expect(mask.shape).toEqual([size, refs * h * w]);
        expect(Array.from(mask.dataSync()), `radius ${radius}, rows ${start}+${size}`).toEqual(reference(radius, start, size));
        expect(window.outside(start, size)).toBe(mask);
      }
      window.dispose();
    }
    // Per reference frame: the first whole (Infinity: FEELVOS's global match to the given frame), the others radius 1.
    const mixed = new GridWindow([h, w], [Infinity, 1, 1]);
    const [all, ones] = [mixed.outside(0, h * w).dataSync(), reference(1, 0, h * w)];
    for (let i = 0; i < h * w; i++) {
      const row = Array.from(all.slice(i * refs * h * w, (i + 1) * refs * h * w));
      expect(row.slice(0, h * w).every((x) => x === 0)).toBe(true);
      expect(row.slice(h * w)).toEqual(ones.slice(i * refs * h * w + h * w, (i + 1) * refs * h * w));
    }
    mixed.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const q = tf.zeros([6, 2]) as tf.Tensor2D;
    expect(() =>
      propagateLabels(q, tf.zeros([12, 2]) as tf.Tensor2D, tf.zeros([12, 2]) as tf.Tensor2D, {
        topK: 1,
        temperature: 1,
        maxAffinityElements: 100,
        window: new GridWindow([2, 3], [1, 1, 1]),
      }),
    ).toThrow(/a window over 3 grid\(s\) of 2,3 cells does not fit 6 queries and 12 keys/);
    tf.dispose(q);
  });

  it('leaks no tensors over videos', () => {
    const [h, w] = [32, 32];
    const tex = texture(h, w + 8, 9);
    const model = fakeModel(2, { topK: 3, contextFrames: 2, radius: 0.25, maxAffinityElements: 500 });
    const first = rects(h, w, [
      [1, 4, 4, 12, 12],
      [2, 16, 16, 28, 28],
    ]);
    const frames = [0, 1, 2, 3, 4].map((t) => crop(tex, w + 8, 0, 8 - 2 * t, h, w));
    track(model, frames, first, 2); // warm-up (kernels' own constants)
    const before = tf.memory().numTensors;
    track(model, frames, first, 2);
    track(model, frames, first, 2);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(frames);
    model.dispose();
  });

  describe('zero-shot: labels seeded by motion', () => {
    const [h, w, side] = [32, 48, 12];
    const background = texture(h, w, 21);
    const object = texture(side, side, 22);
    /** The object's top-left x at each frame: it moves right 4 px a frame, then stops for the last two. */
    const xs = [4, 8, 12, 16, 20, 20, 20];
    const frameAt = (x: number): tf.Tensor4D => {
      const data = Float32Array.from(background);
      for (let y = 0; y < side; y++) data.set(object.subarray(y * side * 3, (y + 1) * side * 3), ((10 + y) * w + x) * 3);
      return tf.tensor4d(data, [1, h, w, 3]);
    };
    const truth = (x: number) => rects(h, w, [[1, 10, x, 10 + side, x + side]]);
    const zeroShot = (options: Partial<FeaturePropagationOptions>): FeaturePropagationModel =>
      FeaturePropagationModel.withExtractor(
        { family: 'feature_propagation', slots: 3, seed: 1, mode: 'zero_shot', featurePropagation: { ...OPTIONS, topK: 3, contextFrames: 2, ...options } },
        new PatchFeatures(),
      );
    /** Label maps of every frame, run as the evaluator runs a zero-shot model (frame 1 given to startVideo). */
    const segment = (model: FeaturePropagationModel, frames: tf.Tensor4D[]): Uint8Array[] => {
      const core = new InferenceCore(model, { previousMask: 'soft', threshold: 0.5, objectnessThreshold: 0.5 });
      expect(core.firstFrameLookahead).toBe(true);
      expect(core.mode).toBe('zero_shot');
      core.startVideo(frames[1] ?? null);
      const out = frames.map((frame) => {
        const step = core.step(frame);
        const labels = logitsToLabels(step.logits, step.keep, w, h, 0.5).data;
        step.logits.dispose();
        return labels;
      });
      core.dispose();
      return out;
    };

    it('finds the moving object from frame 0 (against frame 1), in slot 0 only; a still video has none', () => {
      const frames = xs.map(frameAt);
      const before = tf.memory().numTensors;
      const model = zeroShot({ motionWeight: 1 });
      const labels = segment(model, frames);
      for (const t of [0, 1, 2, 3]) {
        // The blob of a moving object covers where it was and where it is: all of the object.
        const found = labels[t]!;
        expect(iou(found, truth(xs[t]!), 1), `frame ${t}`).toBeGreaterThan(0.6);
        const object = truth(xs[t]!);
        const covered = object.filter((id, i) => id === 1 && found[i] === 1).length;
        expect(covered / (side * side), `frame ${t}`).toBeGreaterThan(0.9);
        expect(found.every((id) => id <= 1)).toBe(true);
      }
      // The blob alone (weight 1) loses the object once it stops.
      expect(labels[5]!.every((id) => id === 0)).toBe(true);
      const stillFrames = Array.from({ length: 3 }, () => frameAt(4));
      const still = segment(model, stillFrames);
      for (const l of still) expect(l.every((id) => id === 0)).toBe(true);
      model.dispose();
      expect(tf.memory().numTensors).toBe(before + 3); // the still video's frames, freed below
      tf.dispose(stillFrames);
      tf.dispose(frames);
    });

    it('the labels propagated from earlier frames keep a stopped object that the motion alone loses', () => {
      const frames = xs.map(frameAt);
      const model = zeroShot({ motionWeight: 0.3 });
      const labels = segment(model, frames);
      // Frame 5 is the first with the object still (frame 4 differs from frame 3): the blob alone
      // finds nothing there (above); the propagated labels keep most of the object, fading (each
      // still frame's blob says background with weight 0.3).
      const object = truth(20);
      const covered = object.filter((id, i) => id === 1 && labels[5]![i] === 1).length;
      expect(covered / (side * side)).toBeGreaterThan(0.5);
      expect(iou(labels[5]!, object, 1)).toBeGreaterThan(0.4);
      model.dispose();
      tf.dispose(frames);
    });

    it('frame 0 kept as a reference holds an object that stops for good; without it the object fades with the recent frames', () => {
      // The object moves for four frames, then stands still for five: every later blob says
      // background, so the recent frames' labels fade by (1 - weight) a frame; frame 0's labels do
      // not (its blob covered the object's first two places, so part of the object stays found).
      const frames = [...xs.slice(0, 5), 20, 20, 20, 20].map(frameAt);
      const lastCover = (keep: boolean): number => {
        const model = zeroShot({ motionWeight: 0.2, contextFrames: 1, motionKeepsFirstFrame: keep });
        const labels = segment(model, frames);
        model.dispose();
        return truth(20).filter((id, i) => id === 1 && labels[frames.length - 1]![i] === 1).length / (side * side);
      };
      expect(lastCover(true)).toBeGreaterThan(0.4);
      expect(lastCover(false)).toBe(0);
      tf.dispose(frames);
    });

    it('motion at pixels: the blob alone gives its own mask pixel for pixel; through the feature cells its outline is rounded to them', () => {
      const frames = xs.map(frameAt);
      // The motion size is the frame size here: the model's blob is motionMask on the frames themselves.
      const blobs = xs.map((_, t) => motionMask(frames[t]!, frames[t === 0 ? 1 : t - 1]!, 'largest'));
      const segmentWith = (motionAtPixels: boolean): Uint8Array[] => {
        const model = zeroShot({ motionWeight: 1, motionAtPixels });
        const labels = segment(model, frames);
        model.dispose();
        return labels;
      };
      const before = tf.memory().numTensors;
      const [pixels, cells] = [segmentWith(true), segmentWith(false)];
      expect(tf.memory().numTensors).toBe(before);
      for (const t of [0, 1, 2, 3]) {
        expect(blobs[t]!.some((v) => v === 1)).toBe(true);
        expect(Array.from(pixels[t]!), `frame ${t}`).toEqual(Array.from(blobs[t]!));
      }
      expect([0, 1, 2, 3].some((t) => cells[t]!.some((v, i) => v !== blobs[t]![i]))).toBe(true);
      tf.dispose(frames);
    });

    it('sensor noise on a still scene is not motion when the frames shrink 4x (they are averaged before they are resized)', () => {
      // Uniform noise of ±0.12 a pixel: frame differences of bilinear-sampled pixels (2x2 means at a
      // factor of 4) exceed the 0.1 motion threshold at ~12% of the pixels; of 4x4 means, almost never.
      const rng = new Rng(9);
      const scene = texture(128, 128, 23);
      const frames = Array.from({ length: 3 }, () =>
        tf.tensor4d(
          scene.map((v) => Math.min(1, Math.max(0, v + 0.24 * (rng.next() - 0.5)))),
          [1, 128, 128, 3],
        ),
      );
      const model = zeroShot({ motionWeight: 1, motionShortSide: 32, inputShortSide: 32 });
      const core = new InferenceCore(model, { previousMask: 'soft', threshold: 0.5, objectnessThreshold: 0.5 });
      core.startVideo(frames[1]!);
      for (const frame of frames) {
        const step = core.step(frame);
        const labels = logitsToLabels(step.logits, step.keep, 128, 128, 0.5).data;
        step.logits.dispose();
        expect(labels.filter((id) => id > 0).length).toBe(0);
      }
      core.dispose();
      model.dispose();
      tf.dispose(frames);
    });

    it('takes no previous masks; a one-shot family config is refused for zero-shot only where the family lacks it', () => {
      const model = zeroShot({});
      const state = model.initialState(null);
      const frame = frameAt(4);
      const masks = tf.zeros([1, h, w, 3]) as tf.Tensor4D;
      expect(() => model.step(frame, masks, state)).toThrow(/zero-shot model takes no previous masks/);
      model.disposeState(state);
      tf.dispose([frame, masks]);
      model.dispose();
      const compose = (o: string[]) => composeConfig({ configDir: 'configs', overrides: o }).config;
      expect(() => baselineConfigOf(compose(['model=feature_propagation', 'model.mode=zero_shot']))).not.toThrow();
      expect((baselineConfigOf(compose(['model=feature_propagation', 'model.mode=zero_shot'])) as FeaturePropagationConfig).mode).toBe('zero_shot');
      // One-shot configs keep their earlier shape (no mode key).
      expect('mode' in baselineConfigOf(compose(['model=feature_propagation']))).toBe(false);
      expect(() => baselineConfigOf(compose(['model=mobile_prior', 'model.mode=zero_shot']))).toThrow(/model\.mode: the mobile_prior family is one-shot only/);
    });
  });

  it('config errors are one line naming the key', () => {
    const compose = (o: string[]) => () => composeConfig({ configDir: 'configs', overrides: ['model=feature_propagation', ...o] });
    expect(compose([])).not.toThrow();
    for (const [override, key] of [
      ['model.feature_propagation.tap_stride=16', 'model.feature_propagation.tap_stride'],
      ['model.feature_propagation.temperature=0', 'model.feature_propagation.temperature'],
      ['model.feature_propagation.top_k=0', 'model.feature_propagation.top_k'],
      ['model.feature_propagation.topk=3', 'model.feature_propagation.topk'],
      ['model.feature_propagation.motion_weight=2', 'model.feature_propagation.motion_weight'],
    ] as const) {
      let err: Error | undefined;
      try {
        compose([override])();
      } catch (e) {
        err = e as Error;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect(err!.message.split('\n')).toHaveLength(1);
      expect(err!.message).toContain(key);
    }
  });

  it('the real family runs as a run (no training), is saved, loaded and used by `rvos infer` at the video resolution', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rvos-featprop-'));
    const data = path.join(tmp, 'synth');
    const runDir = path.join(tmp, 'run');
    const composed = composeConfig({
      configDir: 'configs',
      overrides: [
        'backend=wasm',
        `data.root=${data}`,
        'data.size=[40,48]',
        'data.max_objects=2',
        'data.synth.train_videos=1',
        'data.synth.val_videos=1',
        'data.synth.test_videos=2',
        'data.synth.frames=4',
        'model=feature_propagation',
        'model.slots=2',
        'model.feature_propagation.pretrained=null',
        'model.feature_propagation.input_short_side=32',
        'model.feature_propagation.radius=0.5',
      ],
    });
    const results = await runTraining(composed, { runDir, resume: false, log: () => undefined, progress: false });
    expect(results.family).toBe('feature_propagation');
    expect(results.steps).toBe(0);
    expect(results.params).toBe(0);
    expect(Number.isFinite(results.global['J&F-Mean'])).toBe(true);
    const model = await loadAnyModel(path.join(runDir, 'model'));
    expect(model).toBeInstanceOf(FeaturePropagationModel);
    expect(model.namedVariables().size).toBeGreaterThan(0);
    model.dispose();
    const { run: infer } = await import('../../../src/cli/commands/infer.js');
    const seq = fs.readdirSync(path.join(data, 'JPEGImages', '480p')).sort()[0]!;
    const out = path.join(tmp, 'infer');
    const firstMask = path.join(data, 'Annotations', '480p', seq, '00000.png');
    expect(await infer(['--run', runDir, '--frames', path.join(data, 'JPEGImages', '480p', seq), '--out', out, '--first-mask', firstMask])).toBe(0);
    const masks = fs.readdirSync(path.join(out, 'masks')).sort();
    expect(masks).toHaveLength(4);
    // Frame 0 is the given mask, pixel for pixel, at the video's own size.
    const given = readLabelPng(firstMask);
    const predicted = readLabelPng(path.join(out, 'masks', masks[0]!));
    expect([predicted.width, predicted.height]).toEqual([given.width, given.height]);
    expect(Array.from(predicted.data)).toEqual(Array.from(given.data));
    expect(tf.memory().numTensors).toBeLessThan(50);

    // Zero-shot: the same family as a run (unsupervised protocol) and in `rvos infer` with no mask.
    const zeroShotRun = path.join(tmp, 'run-zero-shot');
    const zeroShot = composeConfig({
      configDir: 'configs',
      overrides: [
        ...composed.overrides.filter((o) => !o.startsWith('model=')),
        'model=feature_propagation_zero_shot',
        'model.feature_propagation.motion_short_side=32',
      ],
    });
    expect(zeroShot.config.model.mode).toBe('zero_shot');
    const zeroShotResults = await runTraining(zeroShot, { runDir: zeroShotRun, resume: false, log: () => undefined, progress: false });
    expect(zeroShotResults.task).toBe('unsupervised');
    expect(Number.isFinite(zeroShotResults.global['J&F-Mean'])).toBe(true);
    const zeroShotOut = path.join(tmp, 'infer-zero-shot');
    expect(await infer(['--run', zeroShotRun, '--frames', path.join(data, 'JPEGImages', '480p', seq), '--out', zeroShotOut])).toBe(0);
    const zeroShotMasks = fs.readdirSync(path.join(zeroShotOut, 'masks')).sort();
    expect(zeroShotMasks).toHaveLength(4);
    // One foreground object at most (id 1), at the video's own size.
    for (const m of zeroShotMasks) {
      const label = readLabelPng(path.join(zeroShotOut, 'masks', m));
      expect([label.width, label.height]).toEqual([given.width, given.height]);
      expect(label.data.every((id) => id <= 1)).toBe(true);
    }
    // A zero-shot folder saved before motion_tolerance and motion_keeps_first_frame existed loads
    // with their defaults (frame 0 kept), so it predicts as it did.
    const configFile = path.join(zeroShotRun, 'model', 'config.json');
    const saved = JSON.parse(fs.readFileSync(configFile, 'utf8'));
    expect(saved.featurePropagation.motionKeepsFirstFrame).toBe(true);
    delete saved.featurePropagation.motionTolerance;
    delete saved.featurePropagation.motionKeepsFirstFrame;
    fs.writeFileSync(configFile, JSON.stringify(saved));
    const older = (await loadAnyModel(path.join(zeroShotRun, 'model'))) as FeaturePropagationModel;
    expect(older.config.featurePropagation.motionTolerance).toBe(0);
    expect(older.config.featurePropagation.motionKeepsFirstFrame).toBe(true);
    older.dispose();
  }, 120_000);
});

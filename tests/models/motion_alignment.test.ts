import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { RVOSModel } from '../../src/models/index.js';
import { ALIGNMENT_ZOOMS, alignPrevious, alignPreviousAffine, alignPreviousZoom, estimateTranslation } from '../../src/models/motion_alignment.js';
import { DIFFICULTY_PRESETS } from '../../src/data/synth/options.js';
import { synthesizeVideo } from '../../src/data/synth/video.js';
import { Rng } from '../../src/utils/rng.js';
import { maxAbsDiff, pattern, smallConfig } from './helpers.js';

/** A smooth texture sampled at (y − dy, x − dx): a scene seen by a camera that moved by (−dy, −dx). */
function scene(h: number, w: number, dy: number, dx: number): Float32Array {
  const v = new Float32Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const u = y - dy,
        s = x - dx;
      v[y * w + x] = 0.5 + 0.2 * Math.sin(0.45 * u + 0.1 * s) + 0.2 * Math.cos(0.31 * s - 0.2 * u) + 0.1 * Math.sin(0.9 * u * 0.3 + 0.7 * s);
    }
  }
  return v;
}

/** Frames t and t+1 of a generated video with a panning camera, [1, H, W, 3] in [0, 1], and frame t+1's labels. */
function pannedPair(): { previous: tf.Tensor4D; frame: tf.Tensor4D; labels: Uint8Array } {
  const d = { ...DIFFICULTY_PRESETS.default, cameraPan: 0.03, speed: 0.06, noise: 0, flicker: 0 };
  const v = synthesizeVideo(new Rng(6), { frames: 3, size: [64, 64], objects: [1, 2], difficulty: d });
  const toTensor = (i: number): tf.Tensor4D =>
    tf.tensor4d(
      Float32Array.from(v.frames[i]!.data, (x) => x / 255),
      [1, 64, 64, 3],
    );
  return { previous: toTensor(1), frame: toTensor(2), labels: v.labels[2]!.data };
}

/** The smooth texture seen zoomed by `zoom` about the frame's centre and moved by (dy, dx), as [1, H, W, 1]. */
function zoomedScene(h: number, w: number, zoom: number, dy: number, dx: number): tf.Tensor4D {
  const [cy, cx] = [(h - 1) / 2, (w - 1) / 2];
  const v = new Float32Array(h * w);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const u = cy + (y - cy - dy) / zoom,
        s = cx + (x - cx - dx) / zoom;
      v[y * w + x] = 0.5 + 0.2 * Math.sin(0.45 * u + 0.1 * s) + 0.2 * Math.cos(0.31 * s - 0.2 * u) + 0.1 * Math.sin(0.27 * u + 0.7 * s);
    }
  return tf.tensor4d(v, [1, h, w, 1]);
}

/** The smooth texture under a ground-plane pan: row y moves by dx = 1 + 3 y / h (1 px at the top, 4 at the bottom); a square patch (its own texture) moves by (patch.dy, patch.dx) instead. */
function groundScene(h: number, w: number, moved: boolean, patch: { oy: number; ox: number; side: number; dy: number; dx: number } | null = null): tf.Tensor4D {
  const v = new Float32Array(h * w);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const inPatch = patch !== null && y >= patch.oy && y < patch.oy + patch.side && x >= patch.ox && x < patch.ox + patch.side;
      const dx = moved ? (inPatch ? patch.dx : 1 + (3 * (y + 0.5)) / h) : 0;
      const dy = moved && inPatch ? patch.dy : 0;
      const [u, s] = [y - dy, x - dx];
      v[y * w + x] = inPatch
        ? 0.5 + 0.4 * Math.sin(0.8 * u) * Math.cos(0.9 * s)
        : 0.5 + 0.2 * Math.sin(0.45 * u + 0.1 * s) + 0.2 * Math.cos(0.31 * s - 0.2 * u) + 0.1 * Math.sin(0.27 * u + 0.7 * s);
    }
  return tf.tensor4d(v, [1, h, w, 1]);
}

describe('motion alignment', () => {
  it('the affine alignment cancels a ground plane under a pan (rows at different speeds), which a translation or a zoom cannot, and keeps an object that moves otherwise', () => {
    const [h, w] = [120, 192]; // the motion size of the zero-shot propagation: blocks of 8 px, a search radius of 6
    const previous = groundScene(h, w, false);
    const frame = groundScene(h, w, true);
    const inner = (t: tf.Tensor4D) => tf.tidy(() => tf.slice(t, [0, 6, 6, 0], [1, h - 12, w - 12, 1]));
    const residual = (aligned: tf.Tensor4D) => tf.tidy(() => tf.max(tf.abs(tf.sub(inner(aligned), inner(frame)))).dataSync()[0]!);
    const [affine, shift, zoom] = [alignPreviousAffine(previous, frame), alignPrevious(previous, frame), alignPreviousZoom(previous, frame)];
    expect(residual(affine)).toBeLessThan(0.03);
    expect(Math.min(residual(shift), residual(zoom))).toBeGreaterThan(5 * residual(affine));
    // An object (a 32 px square moving 4 px up) does not pull the fit: the background still cancels, the object does not.
    const patch = { oy: 40, ox: 80, side: 32, dy: -4, dx: 0 };
    const [before, after] = [groundScene(h, w, false, patch), groundScene(h, w, true, patch)];
    const aligned = alignPreviousAffine(before, after);
    const diff = tf.tidy(() => tf.abs(tf.sub(aligned, after)).dataSync() as Float32Array);
    let background = 0;
    let object = 0;
    for (let y = 6; y < h - 6; y++)
      for (let x = 6; x < w - 6; x++) {
        const near = y >= patch.oy - 6 && y < patch.oy + patch.side + 6 && x >= patch.ox - 6 && x < patch.ox + patch.side + 6;
        const inside = y >= patch.oy + 4 && y < patch.oy + patch.side - 4 && x >= patch.ox + 4 && x < patch.ox + patch.side - 4;
        if (!near) background = Math.max(background, diff[y * w + x]!);
        if (inside && diff[y * w + x]! > 0.1) object++;
      }
    expect(background).toBeLessThan(0.03);
    expect(object).toBeGreaterThan(0.3 * 24 * 24);
    tf.dispose([previous, frame, affine, shift, zoom, before, after, aligned]);
  });

  it('with the zoom search, a zooming camera leaves (almost) no difference away from the edges; the translation alone does not', () => {
    const [h, w] = [48, 64];
    const previous = zoomedScene(h, w, 1, 0, 0);
    const frame = zoomedScene(h, w, ALIGNMENT_ZOOMS[4]!, 1, -1);
    const inner = (t: tf.Tensor4D) => tf.tidy(() => tf.slice(t, [0, 4, 4, 0], [1, h - 8, w - 8, 1]));
    const residual = (aligned: tf.Tensor4D) => tf.tidy(() => tf.max(tf.abs(tf.sub(inner(aligned), inner(frame)))).dataSync()[0]!);
    const [byZoom, byShift] = [alignPreviousZoom(previous, frame), alignPrevious(previous, frame)];
    expect(residual(byZoom)).toBeLessThan(0.02);
    expect(residual(byShift)).toBeGreaterThan(Math.max(0.05, 5 * residual(byZoom)));
    // With no zoom it finds what alignPrevious finds.
    const moved = zoomedScene(h, w, 1, 2, -3);
    const [a, b] = [alignPreviousZoom(previous, moved), alignPrevious(previous, moved)];
    expect(maxAbsDiff(a, b)).toBe(0);
    tf.dispose([previous, frame, byZoom, byShift, moved, a, b]);
  });

  it('recovers integer and fractional translations of a texture', () => {
    const [h, w] = [48, 64];
    const base = scene(h, w, 0, 0);
    const [iy, ix] = estimateTranslation(base, scene(h, w, 2, -3), h, w, 4);
    expect(iy).toBeCloseTo(2, 2);
    expect(ix).toBeCloseTo(-3, 2);
    const [dy, dx] = estimateTranslation(base, scene(h, w, 1.4, 0.7), h, w, 4);
    expect(Math.abs(dy - 1.4)).toBeLessThan(0.15);
    expect(Math.abs(dx - 0.7)).toBeLessThan(0.15);
  });

  it("cancels a generated video's camera pan on the background, not on the objects", () => {
    const { previous, frame, labels } = pannedPair();
    const aligned = alignPrevious(previous, frame);
    const residual = (reference: tf.Tensor4D, onObjects: boolean): number => {
      const d = tf.tidy(() => tf.mean(tf.abs(tf.sub(frame, reference)), 3));
      const values = d.dataSync();
      d.dispose();
      let sum = 0,
        n = 0;
      // Leave out a 3 px border, where the shifted frame repeats its edge.
      for (let y = 3; y < 61; y++) {
        for (let x = 3; x < 61; x++) {
          const object = labels[y * 64 + x] !== 0;
          if (object === onObjects) ((sum += values[y * 64 + x]!), n++);
        }
      }
      return sum / n;
    };
    const background = residual(aligned, false);
    expect(background).toBeLessThan(0.6 * residual(previous, false));
    expect(residual(aligned, true)).toBeGreaterThan(1.5 * background);
    tf.dispose([previous, frame, aligned]);
  });

  it('leaves the model unchanged on a still camera and changes it under a pan', async () => {
    const plain = await RVOSModel.create(smallConfig({ motionInput: true }));
    const aligned = await RVOSModel.create(smallConfig({ motionInput: true, motionAlignment: 'translation' }));
    const run = (model: RVOSModel, f0: tf.Tensor4D, f1: tf.Tensor4D): tf.Tensor4D => {
      const first = model.step(f0, null, model.initialState());
      const second = model.step(f1, null, first.state);
      model.disposeState(first.state);
      model.disposeState(second.state);
      first.logits.dispose();
      return second.logits;
    };
    const still = pattern([1, 32, 48, 3]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const [a, b] = [run(plain, still, still), run(aligned, still, still)];
    expect(maxAbsDiff(a, b)).toBe(0);
    const { previous, frame } = pannedPair();
    const [c, d] = [run(plain, previous, frame), run(aligned, previous, frame)];
    expect(maxAbsDiff(c, d)).toBeGreaterThan(1e-4);
    tf.dispose([a, b, c, d, previous, frame]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(still);
    plain.dispose();
    aligned.dispose();
  });

  it('rejects an unknown model.motion_alignment', async () => {
    await expect(RVOSModel.create(smallConfig({ motionAlignment: 'affine' as never }))).rejects.toThrow(/model\.motion_alignment: must be none \| translation/);
  });
});

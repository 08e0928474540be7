import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { RVOS_AUGMENTATION } from '../../src/data/augment.js';
import { clipsToBatch, disposeBatch } from '../../src/data/batch.js';
import { clipStarts, sampleClip, type ClipOptions } from '../../src/data/clip.js';
import { memoryDataset, memorySequence } from '../../src/data/memory_sequence.js';
import { ClipPrefetcher } from '../../src/data/prefetch.js';
import { MASKTRACK_PRIOR } from '../../src/data/prior_mask.js';
import { synthesizeVideo } from '../../src/data/synth/video.js';
import type { LabelMap, RgbImage } from '../../src/data/types.js';
import { DataError } from '../../src/utils/errors.js';
import { Rng } from '../../src/utils/rng.js';
import { rectLabels } from './helpers.js';

const W = 24;
const H = 16;

/** Frames painted red where the label is non-zero, blue elsewhere: frame/mask alignment is visible. */
function paint(labels: LabelMap): RgbImage {
  const data = new Uint8Array(labels.width * labels.height * 3);
  labels.data.forEach((v, p) => data.set(v > 0 && v < 255 ? [255, 0, 0] : [0, 0, 255], p * 3));
  return { width: labels.width, height: labels.height, data };
}

function sequence(labels: (LabelMap | null)[], name = 'seq') {
  return memorySequence(name, labels.map((l) => paint(l ?? rectLabels(W, H, []))), labels);
}

const opts: ClipOptions = { length: 3, size: [H, W], slots: 4, augment: null };

describe('clip sampling', () => {
  it('finds runs of consecutive annotated frames', () => {
    const l = rectLabels(W, H, []);
    const seq = sequence([l, l, null, l, l, l, null, l]);
    expect(clipStarts(seq, 2)).toEqual([0, 3, 4]);
    expect(clipStarts(seq, 3)).toEqual([3]);
    expect(clipStarts(seq, 4)).toEqual([]);
  });

  it('takes every k-th frame with k drawn from 1..maxSkip where the annotated frames fit', async () => {
    const l = rectLabels(W, H, []);
    const seq = sequence([l, l, null, l, l, l, l, l]);
    expect(clipStarts(seq, 3, 2)).toEqual([1, 3]);
    expect(clipStarts(seq, 3, 3)).toEqual([0, 1]);
    expect(clipStarts(seq, 3, 4)).toEqual([]);
    // Each frame t is painted with its index in the object's position, so the clip shows which frames it took.
    const frames = Array.from({ length: 9 }, (_, t) => rectLabels(W, H, [[1, t, 0, t + 1, 1]]));
    const strided = sequence(frames);
    const seen = new Set<number>();
    for (let seed = 0; seed < 40; seed++) {
      const clip = await sampleClip(strided, new Rng(seed), { ...opts, maxSkip: 4 });
      seen.add(clip.stride);
      expect(clip.start + 2 * clip.stride).toBeLessThan(9);
      for (let t = 0; t < 3; t++) expect(clip.masks[(t * H * W + clip.start + t * clip.stride) * 4]).toBe(1);
    }
    expect([...seen].sort()).toEqual([1, 2, 3, 4]);
    // maxSkip 1 draws nothing extra: the same clips as before the option existed.
    const a = await sampleClip(strided, new Rng(7), opts);
    const b = await sampleClip(strided, new Rng(7), { ...opts, maxSkip: 1 });
    expect([a.start, a.stride]).toEqual([b.start, 1]);
  });

  it('maps id k to slot k-1, sets present flags, drops ids above the slot count and treats void as background', async () => {
    const frames = [0, 1, 2].map((t) => rectLabels(W, H, [[1, 0, 0, 4, 4], [3, 10, 2, 14, 6], [7, 18, 10, 22, 14], ...(t === 2 ? [[2, 5, 10, 8, 13] as [number, number, number, number, number]] : []), [255, 4, 0, 6, 4]]));
    const clip = await sampleClip(sequence(frames), new Rng(0), opts);
    expect([clip.length, clip.height, clip.width, clip.slots, clip.start]).toEqual([3, H, W, 4, 0]);
    expect(clip.droppedIds).toEqual([7]);
    expect(clip.slotObjectIds).toEqual([1, 2, 3, 0]);
    expect(Array.from(clip.present)).toEqual([1, 0, 1, 0, 1, 0, 1, 0, 1, 1, 1, 0]);
    const maskAt = (t: number, x: number, y: number, s: number): number => clip.masks[((t * H + y) * W + x) * 4 + s]!;
    expect([maskAt(0, 1, 1, 0), maskAt(0, 11, 3, 2), maskAt(0, 11, 3, 0), maskAt(2, 6, 11, 1), maskAt(0, 5, 1, 0)]).toEqual([1, 1, 0, 1, 0]);
    expect(clip.masks.reduce((a, b) => a + b)).toBe(3 * 16 + 3 * 16 + 9);
    expect(clip.frames[0]).toBeCloseTo(1, 5); // red pixel at (0,0), in [0, 1]
  });

  it('resizes frames bilinearly and masks by nearest neighbour', async () => {
    const l = rectLabels(48, 32, [[2, 0, 0, 24, 32]]);
    const clip = await sampleClip(sequence([l, l, l]), new Rng(0), { ...opts, size: [8, 12] });
    expect(clip.masks.length).toBe(3 * 8 * 12 * 4);
    expect(new Set(clip.masks)).toEqual(new Set([0, 1]));
    expect(clip.masks.filter((v) => v === 1).length).toBe(3 * 8 * 6);
  });

  it('applies one augmentation draw to every frame and mask of the clip', async () => {
    const l = rectLabels(W, H, [[1, 6, 4, 14, 12]]);
    for (let s = 0; s < 5; s++) {
      const clip = await sampleClip(sequence([l, l, l]), new Rng(s), { ...opts, augment: RVOS_AUGMENTATION });
      const n = H * W;
      for (let t = 1; t < 3; t++) {
        expect(Array.from(clip.frames.subarray(t * n * 3, (t + 1) * n * 3))).toEqual(Array.from(clip.frames.subarray(0, n * 3)));
        expect(Array.from(clip.masks.subarray(t * n * 4, (t + 1) * n * 4))).toEqual(Array.from(clip.masks.subarray(0, n * 4)));
      }
      // Frames and masks moved together: mask pixels are red, strongly-blue pixels are not mask.
      let agree = 0, total = 0;
      for (let p = 0; p < n; p++) {
        const red = clip.frames[p * 3]!;
        const blue = clip.frames[p * 3 + 2]!;
        if (Math.abs(red - blue) < 0.5) continue; // boundary blend
        total++;
        if ((red > blue) === (clip.masks[p * 4] === 1)) agree++;
      }
      expect(agree / total).toBeGreaterThan(0.97);
    }
  });

  it('errors on missing annotations and sequences without a long enough run', async () => {
    const l = rectLabels(W, H, [[1, 0, 0, 2, 2]]);
    const seq = sequence([l, l]);
    await expect(sampleClip(seq, new Rng(0), opts)).rejects.toThrow(/no 3 consecutive annotated frames/);
    const lying = { ...sequence([l, l, l]), annotated: undefined, readAnnotation: async (i: number) => (i === 1 ? null : l) };
    await expect(sampleClip(lying, new Rng(0), opts)).rejects.toThrow(DataError);
  });

  it('synthesises prior masks from frame 0 for present slots only', async () => {
    const frames = [0, 1, 2].map(() => rectLabels(W, H, [[1, 2, 2, 12, 12]]));
    const clip = await sampleClip(sequence(frames), new Rng(0), { ...opts, priorMask: { ...MASKTRACK_PRIOR, emptyProb: 0, affineProb: 0, tpsProb: 0 } });
    const prior = clip.priorMasks!;
    expect(prior.length).toBe(H * W * 4);
    for (let p = 0; p < H * W; p++) {
      expect(prior[p * 4]).toBe(clip.masks[p * 4]); // 'exact' recipe
      expect(prior[p * 4 + 1]).toBe(0);
    }
  });

  it('is reproducible, and the prefetcher yields the same batches as sequential sampling', async () => {
    const seqs = [0, 1, 2].map((s) => {
      const v = synthesizeVideo(new Rng(s), { frames: 5, size: [H, W], objects: [1, 3] });
      return memorySequence(`v${s}`, v.frames, v.labels);
    });
    const o = { ...opts, augment: RVOS_AUGMENTATION, priorMask: MASKTRACK_PRIOR };
    const rng = new Rng(42);
    const expected: Float32Array[] = [];
    for (let b = 0; b < 3; b++) {
      for (let i = 0; i < 2; i++) {
        const seq = seqs[rng.int(0, seqs.length - 1)]!;
        const c = await sampleClip(seq, rng, o);
        expected.push(c.frames, c.masks, c.priorMasks!);
      }
    }
    const pf = new ClipPrefetcher(memoryDataset(seqs), new Rng(42), { ...o, batchSize: 2, depth: 2 });
    const before = tf.memory().numTensors;
    for (let b = 0; b < 3; b++) {
      const batch = await pf.next();
      expect(batch.frames.shape).toEqual([2, 3, H, W, 3]);
      expect(batch.masks.shape).toEqual([2, 3, H, W, 4]);
      expect(batch.present.shape).toEqual([2, 3, 4]);
      expect(batch.priorMasks!.shape).toEqual([2, H, W, 4]);
      const frames = batch.frames.dataSync();
      const masks = batch.masks.dataSync();
      const priors = batch.priorMasks!.dataSync();
      for (let i = 0; i < 2; i++) {
        const [f, m, p] = expected.slice((b * 2 + i) * 3, (b * 2 + i) * 3 + 3);
        expect(frames.subarray(i * f!.length, (i + 1) * f!.length)).toEqual(f);
        expect(masks.subarray(i * m!.length, (i + 1) * m!.length)).toEqual(m);
        expect(priors.subarray(i * p!.length, (i + 1) * p!.length)).toEqual(p);
      }
      disposeBatch(batch);
    }
    pf.close();
    expect(tf.memory().numTensors).toBe(before);
    await expect(pf.next()).rejects.toThrow(/after close/);
  });

  it('clipsToBatch rejects clips of different shapes; the prefetcher needs a long enough sequence', async () => {
    const l = rectLabels(W, H, [[1, 0, 0, 2, 2]]);
    const a = await sampleClip(sequence([l, l, l]), new Rng(0), opts);
    const b = await sampleClip(sequence([l, l, l]), new Rng(0), { ...opts, slots: 5 });
    expect(() => clipsToBatch([a, b])).toThrow(/expected 3x16x24x4/);
    expect(() => new ClipPrefetcher(memoryDataset([sequence([l, l])]), new Rng(0), { ...opts, batchSize: 1 })).toThrow(/consecutive annotated frames/);
  });
});

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDavis2017 } from '../../src/data/davis2017.js';
import { labelIds } from '../../src/data/file_sequence.js';
import { readRgbImage } from '../../src/data/image_io.js';
import { generateSyntheticDataset, synthVideoSeed } from '../../src/data/synth/dataset.js';
import { DIFFICULTY_PRESETS } from '../../src/data/synth/options.js';
import { synthesizeVideo } from '../../src/data/synth/video.js';
import { ConfigError } from '../../src/utils/errors.js';
import { Rng } from '../../src/utils/rng.js';
import { hashTree, removeDir, tempDir } from './helpers.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));
function scratch(): string {
  const d = tempDir();
  dirs.push(d);
  return d;
}

const small = { frames: 6, size: [48, 64] as [number, number], objects: [2, 4] as [number, number] };

describe('synthesizeVideo', () => {
  it('gives ids 1..N, every frame-0 object visible in frame 0, late objects absent from frame 0 but present later', () => {
    let sawLate = false;
    for (let seed = 0; seed < 12; seed++) {
      const v = synthesizeVideo(new Rng(seed), { ...small, frames: 10, difficulty: { lateObjectProb: 0.6 } });
      expect(v.frames).toHaveLength(10);
      const all = new Set(v.labels.flatMap((l) => labelIds(l)));
      expect([...all].every((id) => id >= 1 && id <= v.objectCount)).toBe(true);
      const frame0 = new Set(labelIds(v.labels[0]!));
      for (let id = 1; id <= v.objectCount; id++) {
        if (v.lateIds.includes(id)) {
          sawLate = true;
          expect(frame0.has(id)).toBe(false);
          expect(all.has(id)).toBe(true);
        } else {
          expect(frame0.has(id)).toBe(true);
        }
      }
      // Late entrants take the highest ids, so the semi protocol (N = max id of frame 0) ignores them.
      for (const id of v.lateIds) expect(id).toBeGreaterThan(Math.max(...frame0));
    }
    expect(sawLate).toBe(true);
  });

  it('moves objects smoothly and changes their scale', () => {
    const v = synthesizeVideo(new Rng(3), { frames: 12, size: [96, 96], objects: [1, 1], difficulty: { cameraPan: 0, scaleChange: 0.4, speed: 0.03 } });
    const stats = v.labels.map((l) => {
      let n = 0, sx = 0, sy = 0;
      l.data.forEach((id, p) => {
        if (id === 1) { n++; sx += p % 96; sy += Math.floor(p / 96); }
      });
      return { n, x: sx / n, y: sy / n };
    });
    for (let t = 1; t < stats.length; t++) {
      if (stats[t]!.n < 50 || stats[t - 1]!.n < 50) continue; // leaving the frame distorts the centroid
      expect(Math.hypot(stats[t]!.x - stats[t - 1]!.x, stats[t]!.y - stats[t - 1]!.y)).toBeLessThan(0.06 * 96);
    }
    expect(new Set(stats.map((s) => s.n)).size).toBeGreaterThan(3); // area changes over time
  });

  it('writes a void band only when configured', () => {
    const plain = synthesizeVideo(new Rng(5), { ...small, difficulty: { voidBand: 0 } });
    const banded = synthesizeVideo(new Rng(5), { ...small, difficulty: { voidBand: 1 } });
    expect(plain.labels[0]!.data.includes(255)).toBe(false);
    expect(banded.labels[0]!.data.includes(255)).toBe(true);
    // Same scene: outside the band the labels agree.
    banded.labels[0]!.data.forEach((v, p) => {
      if (v !== 255) expect(v).toBe(plain.labels[0]!.data[p]);
    });
  });

  it('cannot be segmented by colour: a colour-histogram classifier learned on 20 videos scores IoU < 0.3 on 20 others', () => {
    const bins = 512;
    const fg = new Float64Array(bins);
    const bg = new Float64Array(bins);
    const bin = (d: Uint8Array, i: number): number => ((d[i]! >> 5) * 8 + (d[i + 1]! >> 5)) * 8 + (d[i + 2]! >> 5);
    const opts = { frames: 1, size: [64, 64] as [number, number], objects: [1, 4] as [number, number] };
    for (let s = 0; s < 20; s++) {
      const v = synthesizeVideo(new Rng(s), opts);
      v.labels[0]!.data.forEach((id, p) => (id > 0 ? fg : bg)[bin(v.frames[0]!.data, p * 3)]!++);
    }
    let inter = 0, union = 0;
    for (let s = 100; s < 120; s++) {
      const v = synthesizeVideo(new Rng(s), opts);
      v.labels[0]!.data.forEach((id, p) => {
        const b = bin(v.frames[0]!.data, p * 3);
        const pred = fg[b]! > bg[b]!;
        if (pred && id > 0) inter++;
        if (pred || id > 0) union++;
      });
    }
    expect(inter / union).toBeLessThan(0.3);
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const a = synthesizeVideo(new Rng(9), small);
    const b = synthesizeVideo(new Rng(9), small);
    const c = synthesizeVideo(new Rng(10), small);
    expect(Buffer.from(a.frames[3]!.data).equals(Buffer.from(b.frames[3]!.data))).toBe(true);
    expect(Buffer.from(a.frames[3]!.data).equals(Buffer.from(c.frames[3]!.data))).toBe(false);
  });

  it('rejects bad options with the key named', () => {
    expect(() => synthesizeVideo(new Rng(0), { ...small, objects: [1, 11] })).toThrow(/objects/);
    expect(() => synthesizeVideo(new Rng(0), { ...small, difficulty: { outline: 2 } })).toThrow(ConfigError);
    expect(() => synthesizeVideo(new Rng(0), { ...small, size: [8, 64] })).toThrow(/size/);
  });

  it('accepts every preset', () => {
    for (const d of Object.values(DIFFICULTY_PRESETS)) expect(synthesizeVideo(new Rng(1), { ...small, difficulty: d }).frames).toHaveLength(6);
  });
});

describe('generateSyntheticDataset', () => {
  const opts = { trainVideos: 3, valVideos: 2, testVideos: 1, frames: 4, size: [40, 56] as [number, number], objects: [1, 3] as [number, number], seed: 11 };

  it('writes the DAVIS-2017 layout, byte-identical for the same seed', async () => {
    const a = path.join(scratch(), 'a');
    const b = path.join(scratch(), 'b');
    const c = path.join(scratch(), 'c');
    await generateSyntheticDataset({ ...opts, out: a });
    await generateSyntheticDataset({ ...opts, out: b });
    await generateSyntheticDataset({ ...opts, seed: 12, out: c });
    expect(hashTree(a)).toBe(hashTree(b));
    expect(hashTree(a)).not.toBe(hashTree(c));
    expect(fs.readFileSync(path.join(a, 'ImageSets/2017/train.txt'), 'utf8').trim().split('\n')).toEqual(['synth-0000', 'synth-0001', 'synth-0002']);
    expect(fs.readFileSync(path.join(a, 'ImageSets/2017/val.txt'), 'utf8').trim().split('\n')).toEqual(['synth-val-0000', 'synth-val-0001']);
    expect(fs.readFileSync(path.join(a, 'ImageSets/2017/test.txt'), 'utf8').trim().split('\n')).toEqual(['synth-test-0000']);
    for (const sub of ['JPEGImages', 'Annotations', 'Annotations_unsupervised']) {
      expect(fs.readdirSync(path.join(a, sub, '480p', 'synth-test-0000'))).toHaveLength(4);
    }
    expect(fs.readdirSync(path.dirname(a)).filter((f) => f.includes('partial'))).toEqual([]);
  });

  it('round-trips through the DAVIS reader: frames, palette labels and objects', async () => {
    const out = path.join(scratch(), 'rt');
    await generateSyntheticDataset({ ...opts, out, difficulty: { lateObjectProb: 0 } });
    const train = await openDavis2017(out, { split: 'train', scan: 'all' });
    const val = await openDavis2017(out, { split: 'val', task: 'unsupervised' });
    expect(train.sequences.map((s) => s.name)).toEqual(['synth-0000', 'synth-0001', 'synth-0002']);
    expect(val.sequences).toHaveLength(2);
    for (const [i, seq] of train.sequences.entries()) {
      const video = synthesizeVideo(new Rng(synthVideoSeed(11, 'train', i)), { ...opts, difficulty: { lateObjectProb: 0 } });
      expect([seq.height, seq.width, seq.frameNames.length]).toEqual([40, 56, 4]);
      expect(seq.objectIds).toEqual(Array.from({ length: video.objectCount }, (_, k) => k + 1));
      for (let t = 0; t < 4; t++) {
        const labels = await seq.readAnnotation(t);
        expect(Buffer.from(labels!.data).equals(Buffer.from(video.labels[t]!.data))).toBe(true);
        const frame = await seq.readFrame(t);
        let err = 0;
        frame.data.forEach((v, k) => (err += Math.abs(v - video.frames[t]!.data[k]!)));
        expect(err / frame.data.length).toBeLessThan(6); // JPEG at quality 92
      }
    }
    expect((await readRgbImage(path.join(out, 'JPEGImages/480p/synth-val-0000/00000.jpg'))).width).toBe(56);
  });

  it('refuses to overwrite an existing folder unless asked', async () => {
    const out = path.join(scratch(), 'exists');
    fs.mkdirSync(out);
    await expect(generateSyntheticDataset({ ...opts, out })).rejects.toThrow(/already exists/);
    await generateSyntheticDataset({ ...opts, out, overwrite: true });
    expect(fs.existsSync(path.join(out, 'synth.json'))).toBe(true);
    await expect(generateSyntheticDataset({ ...opts, out: path.join(scratch(), 'v'), trainVideos: -1 })).rejects.toThrow(/trainVideos must be an integer/);
    // Held-out videos alone are a dataset (the training-setting videos are made that way); no video at all is refused.
    const none = path.join(scratch(), 'none');
    await expect(generateSyntheticDataset({ ...opts, out: none, trainVideos: 0, valVideos: 0, testVideos: 0 })).rejects.toThrow(/are all 0; ask for at least one video/);
    expect(fs.existsSync(none)).toBe(false);
  });
});

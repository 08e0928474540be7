import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFrameFolder } from '../../src/data/frame_folder.js';
import { writeLabelPng } from '../../src/data/palette_png.js';
import { openYouTubeVOS } from '../../src/data/youtube_vos.js';
import { DataError } from '../../src/utils/errors.js';
import { rectLabels, removeDir, tempDir, testImage, writeJpeg, writeRgbPng } from './helpers.js';

const W = 40;
const H = 30;
const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));
let root: string;

/**
 * valid split, video 'v1': JPEG frames 00000, 00005, ..., 00025; object 1 from 00000, object 2
 * (a late object) first appears in 00015. As in YouTube-VOS valid, only the frames where an
 * object first appears are annotated. Video 'v2' is complete (train-like).
 */
beforeAll(async () => {
  root = tempDir();
  dirs.push(root);
  const split = path.join(root, 'valid');
  const frames = ['00000', '00005', '00010', '00015', '00020', '00025'];
  for (const [i, f] of frames.entries()) {
    await writeJpeg(path.join(split, 'JPEGImages', 'v1', `${f}.jpg`), testImage(W, H, i));
    await writeJpeg(path.join(split, 'JPEGImages', 'v2', `${f}.jpg`), testImage(W, H, i + 9));
    writeLabelPng(path.join(split, 'Annotations', 'v2', `${f}.png`), rectLabels(W, H, [[1, i, 0, i + 6, 6]]));
  }
  writeLabelPng(path.join(split, 'Annotations', 'v1', '00000.png'), rectLabels(W, H, [[1, 0, 0, 8, 8]]));
  writeLabelPng(path.join(split, 'Annotations', 'v1', '00015.png'), rectLabels(W, H, [[2, 20, 10, 30, 20]]));
  const meta = {
    videos: {
      v1: { objects: { '1': { category: 'cat', frames: frames }, '2': { category: 'dog', frames: frames.slice(3) } } },
      v2: { objects: { '1': { category: 'cat', frames } } },
    },
  };
  fs.writeFileSync(path.join(split, 'meta.json'), JSON.stringify(meta));
});

async function damaged(damage: (r: string) => Promise<void> | void): Promise<string> {
  const dir = tempDir();
  dirs.push(dir);
  fs.cpSync(root, dir, { recursive: true });
  await damage(dir);
  return dir;
}

describe('openYouTubeVOS', () => {
  it('reads a late object with the right first-appearance frame and sparse annotations', async () => {
    const ds = await openYouTubeVOS(root, { split: 'valid' });
    expect(ds.sequences.map((s) => s.name)).toEqual(['v1', 'v2']);
    const v1 = ds.sequences[0]!;
    expect(v1.frameNames).toEqual(['00000', '00005', '00010', '00015', '00020', '00025']);
    expect(v1.objectIds).toEqual([1, 2]);
    expect(v1.firstFrameOf.get(1)).toBe(0);
    expect(v1.firstFrameOf.get(2)).toBe(3);
    expect(v1.objectCategories?.get(2)).toBe('dog');
    expect(v1.annotated).toEqual([true, false, false, true, false, false]);
    expect(await v1.readAnnotation(1)).toBeNull();
    expect((await v1.readAnnotation(3))!.data[15 * W + 25]).toBe(2);
    expect(ds.sequences[1]!.annotated!.every(Boolean)).toBe(true);
  });

  it('bad input: missing annotation where an object first appears, and skip mode', async () => {
    const r = await damaged((d) => fs.rmSync(path.join(d, 'valid/Annotations/v1/00015.png')));
    await expect(openYouTubeVOS(r, { split: 'valid' })).rejects.toThrow(/v1\/00015\.png: missing annotation for frame 00015 of v1 \(meta\.json says an object first appears there\)/);
    const ds = await openYouTubeVOS(r, { split: 'valid', onError: 'skip' });
    expect(ds.sequences.map((s) => s.name)).toEqual(['v2']);
    expect(ds.skipped![0]!.name).toBe('v1');
  });

  it("annotated: 'all' requires every frame's annotation", async () => {
    await expect(openYouTubeVOS(root, { split: 'valid', annotated: 'all' })).rejects.toThrow(/v1\/00005\.png: missing annotation/);
  });

  it('bad input: meta.json missing, invalid or naming absent videos/frames', async () => {
    const noMeta = await damaged((d) => fs.rmSync(path.join(d, 'valid/meta.json')));
    await expect(openYouTubeVOS(noMeta, { split: 'valid' })).rejects.toThrow(/meta\.json: meta\.json is missing/);
    const badJson = await damaged((d) => fs.writeFileSync(path.join(d, 'valid/meta.json'), '{"videos": '));
    await expect(openYouTubeVOS(badJson, { split: 'valid' })).rejects.toThrow(/not valid JSON/);
    const absent = await damaged((d) => fs.rmSync(path.join(d, 'valid/JPEGImages/v2'), { recursive: true }));
    await expect(openYouTubeVOS(absent, { split: 'valid' })).rejects.toThrow(/JPEGImages\/v2: video v2 is listed in .*meta\.json but its frame folder is missing/);
    const badFrames = await damaged((d) => {
      const meta = JSON.parse(fs.readFileSync(path.join(d, 'valid/meta.json'), 'utf8'));
      meta.videos.v2.objects['1'].frames = ['00099'];
      fs.writeFileSync(path.join(d, 'valid/meta.json'), JSON.stringify(meta));
    });
    await expect(openYouTubeVOS(badFrames, { split: 'valid' })).rejects.toThrow(DataError);
    await expect(openYouTubeVOS(root, { split: 'train' })).rejects.toThrow(/train: YouTube-VOS split folder is missing/);
  });
});

describe('openFrameFolder', () => {
  it('orders frames numerically and reads the optional first-frame mask', async () => {
    const dir = tempDir();
    dirs.push(dir);
    for (const n of [1, 2, 10]) await writeJpeg(path.join(dir, 'clip', `frame${n}.jpg`), testImage(W, H, n));
    const mask = path.join(dir, 'mask.png');
    writeLabelPng(mask, rectLabels(W, H, [[1, 0, 0, 4, 4], [3, 10, 10, 14, 14]]));
    const ds = await openFrameFolder(path.join(dir, 'clip'), { firstMask: mask });
    const seq = ds.sequences[0]!;
    expect(seq.name).toBe('clip');
    expect(seq.frameNames).toEqual(['frame1', 'frame2', 'frame10']);
    expect(seq.objectIds).toEqual([1, 3]);
    expect(seq.annotated).toEqual([true, false, false]);
    expect(await seq.readAnnotation(2)).toBeNull();
    const without = await openFrameFolder(path.join(dir, 'clip'));
    expect(without.sequences[0]!.objectIds).toEqual([]);

    const rgbMask = path.join(dir, 'rgb.png');
    await writeRgbPng(rgbMask, testImage(W, H));
    await expect(openFrameFolder(path.join(dir, 'clip'), { firstMask: rgbMask })).rejects.toThrow(/rgb\.png: annotation PNG stores RGB colours/);
    const smallMask = path.join(dir, 'small.png');
    writeLabelPng(smallMask, rectLabels(W - 1, H, []));
    await expect(openFrameFolder(path.join(dir, 'clip'), { firstMask: smallMask })).rejects.toThrow(/small\.png: annotation is 39x30 but its frame is 40x30/);
    await expect(openFrameFolder(path.join(dir, 'nothing'))).rejects.toThrow(/frame folder does not exist/);
  });
});

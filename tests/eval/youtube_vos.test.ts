import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type LabelMap, writeLabelPng } from '../../src/data/palette_png.js';
import { evaluateYouTubeVOS, writeYouTubeVOSEvaluation } from '../../src/eval/youtube_vos.js';

const W = 32,
  H = 24;
function paint(rects: [number, number, number, number, number][]): LabelMap {
  const data = new Uint8Array(W * H);
  for (const [id, y0, x0, y1, x1] of rects) for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) data[y * W + x] = id;
  return { width: W, height: H, data };
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rvos-ytvos-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

// Video v1: object 1 (cat, seen) in all frames; object 3 (zebra, unseen) appears at frame 00010.
// Video v2: object 2 (dog, seen) in all frames.
const names = ['00000', '00005', '00010', '00015'];
const gt: Record<string, LabelMap[]> = {
  v1: [
    paint([[1, 2, 2, 9, 9]]),
    paint([[1, 2, 3, 9, 10]]),
    paint([
      [1, 2, 4, 9, 11],
      [3, 14, 14, 20, 25],
    ]),
    paint([
      [1, 2, 5, 9, 12],
      [3, 14, 15, 20, 26],
    ]),
  ],
  v2: names.map(() => paint([[2, 5, 5, 15, 15]])),
};
fs.mkdirSync(path.join(root, 'train'), { recursive: true });
fs.writeFileSync(
  path.join(root, 'train', 'meta.json'),
  JSON.stringify({
    videos: {
      v1: { objects: { '1': { category: 'cat', frames: names }, '3': { category: 'zebra', frames: names.slice(2) } } },
      v2: { objects: { '2': { category: 'dog', frames: names } } },
    },
  }),
);
for (const [video, frames] of Object.entries(gt)) frames.forEach((m, t) => writeLabelPng(path.join(root, 'train', 'Annotations', video, `${names[t]}.png`), m));

function writeResults(dir: string, frames: Record<string, LabelMap[]>): void {
  for (const [video, maps] of Object.entries(frames)) maps.forEach((m, t) => writeLabelPng(path.join(dir, video, `${names[t]}.png`), m));
}

describe('YouTube-VOS evaluation', () => {
  it('scores objects from their first annotated frame and averages seen and unseen separately', async () => {
    const results = path.join(root, 'res1');
    // Object 3 predicted in frame 00005 (before it exists): not scored, so it does not hurt.
    // v2's dog is missed in the last frame: J frames [1, 1, 1, 0].
    const pred = {
      v1: [
        paint([]),
        paint([
          [1, 2, 3, 9, 10],
          [3, 20, 0, 23, 3],
        ]),
        gt.v1![2]!,
        gt.v1![3]!,
      ],
      v2: [gt.v2![0]!, gt.v2![1]!, gt.v2![2]!, paint([])],
    };
    writeResults(results, pred);
    const ev = await evaluateYouTubeVOS({ root, split: 'train', results, seenCategories: ['cat', 'dog'] });
    const byKey = Object.fromEntries(ev.objects.map((o) => [`${o.video}/${o.objectId}`, o]));
    expect(byKey['v1/1']!.frames).toEqual(names);
    expect(byKey['v1/1']!.jFrames).toEqual([0, 1, 1, 1]);
    expect(byKey['v1/3']!.frames).toEqual(['00010', '00015']);
    expect(byKey['v1/3']!.jFrames).toEqual([1, 1]);
    expect(byKey['v1/3']!.seen).toBe(false);
    expect(byKey['v2/2']!.jFrames).toEqual([1, 1, 1, 0]);
    expect(ev.global['J-Seen']).toBe(0.75);
    expect(ev.global['J-Unseen']).toBe(1);
    expect(ev.global['F-Unseen']).toBe(1);
    expect(ev.global.Overall).toBeCloseTo((0.75 + ev.global['F-Seen'] + 1 + 1) / 4, 15);
    const files = writeYouTubeVOSEvaluation(path.join(root, 'out'), ev);
    expect(fs.readFileSync(files[1]!, 'utf8').split('\n')[0]).toBe('Video,Object,Category,Split,J-Mean,F-Mean');
    expect(fs.readFileSync(files[0]!, 'utf8').split('\n')[0]).toBe('Overall,J-Seen,F-Seen,J-Unseen,F-Unseen');
  });

  it('names a missing frame and an id above the video objects', async () => {
    const results = path.join(root, 'res2');
    writeResults(results, { v1: gt.v1!, v2: gt.v2!.map((m) => ({ ...m, data: m.data.map((v) => (v === 2 ? 4 : v)) })) });
    await expect(evaluateYouTubeVOS({ root, split: 'train', results, seenCategories: [] })).rejects.toThrow(
      /v2\/00000\.png: predicted id 4 but video 'v2' has no object above id 2/,
    );
    fs.rmSync(path.join(results, 'v1', '00010.png'));
    await expect(evaluateYouTubeVOS({ root, split: 'train', results, seenCategories: [], videos: ['v1'] })).rejects.toThrow(
      /v1\/00010\.png: predicted frame is missing/,
    );
  });
});

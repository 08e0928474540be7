import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode as encodePng } from 'fast-png';
import { openDavis2017 } from '../../src/data/davis2017.js';
import { decodeLabelPng, encodeLabelPng, readLabelPng, writeLabelPng } from '../../src/data/palette_png.js';
import { DataError } from '../../src/utils/errors.js';
import { REAL_DAVIS, REAL_TENNIS, rectLabels, removeDir, tempDir, testImage, writeDavis, writeJpeg, writeRgbPng } from './helpers.js';
import { needsSharedData } from '../shared_data.js';

const W = 32;
const H = 24;
let root: string;
const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

/** A fresh copy of a good 2-sequence dataset, damaged by `damage`. */
async function damaged(damage: (root: string) => Promise<void> | void): Promise<string> {
  const dir = tempDir();
  dirs.push(dir);
  fs.cpSync(root, dir, { recursive: true });
  await damage(dir);
  return dir;
}

const ann = (r: string, seq: string, f: string): string => path.join(r, 'Annotations', '480p', seq, `${f}.png`);
const jpg = (r: string, seq: string, f: string): string => path.join(r, 'JPEGImages', '480p', seq, `${f}.jpg`);

beforeAll(async () => {
  root = tempDir();
  dirs.push(root);
  await writeDavis(
    root,
    [
      { name: 'alpha', frames: 3, width: W, height: H, labels: (t) => rectLabels(W, H, [[1, 1 + t, 1, 9 + t, 9], [2, 12, 12, 20, 20]]) },
      // Object 3 appears only from frame 2; void (255) band present.
      { name: 'beta', frames: 3, width: W, height: H, labels: (t) => rectLabels(W, H, t < 2 ? [[1, 0, 0, 5, 5]] : [[1, 0, 0, 5, 5], [3, 20, 10, 28, 18], [255, 5, 0, 6, 5]]) },
    ],
    { train: ['alpha', 'beta'], val: ['beta'] },
  );
  fs.mkdirSync(path.join(root, 'Annotations_unsupervised', '480p'), { recursive: true });
  fs.cpSync(path.join(root, 'Annotations', '480p'), path.join(root, 'Annotations_unsupervised', '480p'), { recursive: true });
});

describe('palette PNG', () => {
  it('keeps every index 0..255 through write → read, with the DAVIS palette', () => {
    const dir = tempDir();
    dirs.push(dir);
    const map = { width: 16, height: 16, data: Uint8Array.from({ length: 256 }, (_, i) => (i * 37) & 255) };
    const file = path.join(dir, 'x.png');
    writeLabelPng(file, map);
    expect(Array.from(readLabelPng(file).data)).toEqual(Array.from(map.data));
    expect(Array.from(decodeLabelPng(encodeLabelPng(map), 'mem').data)).toEqual(Array.from(map.data));
  });
});

describe('openDavis2017', () => {
  it('reads sequences, frames, palette annotations and first-frame objects', async () => {
    const ds = await openDavis2017(root, { split: 'train' });
    expect(ds.sequences.map((s) => s.name)).toEqual(['alpha', 'beta']);
    const [alpha, beta] = ds.sequences;
    expect([alpha!.width, alpha!.height, alpha!.frameNames]).toEqual([W, H, ['00000', '00001', '00002']]);
    expect(alpha!.objectIds).toEqual([1, 2]);
    expect(beta!.objectIds).toEqual([1]); // scan 'first': the semi protocol's object set
    const labels = await beta!.readAnnotation(2);
    expect(labels!.data[10 * W + 20]).toBe(3);
    expect(labels!.data[0 * W + 5]).toBe(255);
    const frame = await alpha!.readFrame(1);
    expect([frame.width, frame.height, frame.data.length]).toEqual([W, H, W * H * 3]);
    const small = await alpha!.readFrameResized!(1, 12, 16);
    expect([small.width, small.height]).toEqual([16, 12]);
    expect(ds.skipped).toEqual([]);
  });

  it("scan: 'all' finds late objects with their first frame; unsupervised reads Annotations_unsupervised", async () => {
    const ds = await openDavis2017(root, { split: 'val', scan: 'all', task: 'unsupervised' });
    expect(ds.sequences[0]!.objectIds).toEqual([1, 3]);
    expect(ds.sequences[0]!.firstFrameOf.get(3)).toBe(2);
    const empty = await damaged((r) => fs.rmSync(path.join(r, 'Annotations_unsupervised'), { recursive: true }));
    await expect(openDavis2017(empty, { split: 'val', task: 'unsupervised' })).rejects.toThrow(/Annotations_unsupervised\/480p\/beta\/00000\.png: missing annotation/);
  });

  it('test-* splits need only the first annotation', async () => {
    const r = await damaged((d) => {
      fs.writeFileSync(path.join(d, 'ImageSets/2017/test-dev.txt'), 'alpha\n');
      fs.rmSync(ann(d, 'alpha', '00001'));
      fs.rmSync(ann(d, 'alpha', '00002'));
    });
    const ds = await openDavis2017(r, { split: 'test-dev' });
    expect(ds.sequences[0]!.annotated).toEqual([true, false, false]);
    expect(await ds.sequences[0]!.readAnnotation(2)).toBeNull();
  });

  const badCases: [string, (r: string) => Promise<void> | void, RegExp, string][] = [
    ['corrupt JPEG header', (r) => fs.writeFileSync(jpg(r, 'beta', '00001'), Buffer.from('not a jpeg at all')), /JPEG/, 'beta/00001.jpg'],
    ['corrupt PNG', (r) => fs.writeFileSync(ann(r, 'beta', '00001'), Buffer.from('garbage')), /not a PNG/, 'beta/00001.png'],
    ['missing annotation', (r) => fs.rmSync(ann(r, 'beta', '00002')), /missing annotation for frame 00002/, 'beta/00002.png'],
    ['annotation size mismatch', (r) => writeLabelPng(ann(r, 'beta', '00001'), rectLabels(W + 2, H, [])), /annotation is 34x24 but its frame is 32x24/, 'beta/00001.png'],
    ['RGB annotation', (r) => writeRgbPng(ann(r, 'beta', '00000'), testImage(W, H)), /annotation PNG stores RGB colours, not palette indices/, 'beta/00000.png'],
    ['frame size mismatch', (r) => writeJpeg(jpg(r, 'beta', '00002'), testImage(W, H + 8)), /frame is 32x32 but frame 0 of beta is 32x24/, 'beta/00002.jpg'],
    ['sequence in split but absent', (r) => fs.rmSync(path.join(r, 'JPEGImages/480p/beta'), { recursive: true }), /listed in .*train\.txt but its frame folder is missing/, 'JPEGImages/480p/beta'],
  ];

  for (const [what, damage, message, file] of badCases) {
    it(`bad input: ${what} → DataError naming the file; onError 'skip' skips and lists the video`, async () => {
      const r = await damaged(damage);
      const err = await openDavis2017(r, { split: 'train' }).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(DataError);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).toContain(file);
      const ds = await openDavis2017(r, { split: 'train', onError: 'skip' });
      expect(ds.sequences.map((s) => s.name)).toEqual(['alpha']);
      expect(ds.skipped).toHaveLength(1);
      expect(ds.skipped![0]!.name).toBe('beta');
      expect(ds.skipped![0]!.reason).toContain(file);
    });
  }

  it('an 8-bit grayscale annotation is read as ids with one warning naming it; a 0/255 grayscale mask is refused', async () => {
    const gray = (file: string, map: { width: number; height: number; data: Uint8Array }) =>
      fs.writeFileSync(file, encodePng({ width: map.width, height: map.height, data: map.data, channels: 1, depth: 8 }));
    const r = await damaged((d) => {
      for (const f of ['00000', '00001', '00002']) gray(ann(d, 'alpha', f), rectLabels(W, H, [[1, 1, 1, 9, 9], [2, 12, 12, 20, 20]]));
    });
    const ds = await openDavis2017(r, { split: 'train', scan: 'all' });
    expect(ds.sequences[0]!.objectIds).toEqual([1, 2]);
    expect((await ds.sequences[0]!.readAnnotation(1))!.data).toEqual(rectLabels(W, H, [[1, 1, 1, 9, 9], [2, 12, 12, 20, 20]]).data);
    expect(ds.warnings).toHaveLength(1);
    expect(ds.warnings![0]).toMatch(/^3 label PNGs are 8-bit grayscale, not palette PNGs, in .*Annotations.480p \(first: .*alpha.00000\.png\); their grey values are read as object ids/);
    const clean = await openDavis2017(root, { split: 'train' });
    expect(clean.warnings).toEqual([]);

    const binary = await damaged((d) => gray(ann(d, 'beta', '00000'), rectLabels(W, H, [[255, 0, 0, 5, 5]])));
    await expect(openDavis2017(binary, { split: 'train' })).rejects.toThrow(/beta.00000\.png: annotation is an 8-bit grayscale PNG holding only 0 and 255 \(a binary mask\?\).*save the object as 1/);
  });

  it('bad input: a JPEG whose pixel data is truncated fails on read with the file named', async () => {
    const r = await damaged((d) => {
      const f = jpg(d, 'alpha', '00001');
      const bytes = fs.readFileSync(f);
      fs.writeFileSync(f, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    });
    const ds = await openDavis2017(r, { split: 'train' }); // the header is intact
    await expect(ds.sequences[0]!.readFrame(1)).rejects.toThrow(/alpha\/00001\.jpg: corrupt or unreadable image/);
    await expect(openDavis2017(r, { split: 'train', validate: 'decode' })).rejects.toThrow(/alpha\/00001\.jpg/);
  });

  it('bad input: missing or empty split file, missing root', async () => {
    await expect(openDavis2017(root, { split: 'nope' })).rejects.toThrow(/nope\.txt: split file is missing \(available in .*: train\.txt, val\.txt\)/);
    const r = await damaged((d) => fs.writeFileSync(path.join(d, 'ImageSets/2017/val.txt'), '\n  \n'));
    await expect(openDavis2017(r, { split: 'val', onError: 'skip' })).rejects.toThrow(/val\.txt: split file is empty/);
    await expect(openDavis2017(path.join(root, 'absent'), { split: 'val' })).rejects.toThrow(/root folder does not exist/);
  });
});

describe.skipIf(REAL_DAVIS === null)(`real DAVIS files${needsSharedData('davis-real')}`, () => {
  it('reads the 5 single-object val sequences at 854x480', async () => {
    const ds = await openDavis2017(REAL_DAVIS!, { split: 'val' });
    expect(ds.sequences.map((s) => [s.name, s.frameNames.length])).toEqual([
      ['blackswan', 50], ['car-shadow', 40], ['dog', 60], ['drift-chicane', 52], ['libby', 49],
    ]);
    for (const s of ds.sequences) expect([s.width, s.height, s.objectIds]).toEqual([854, 480, [1]]);
    const labels = await ds.sequences[0]!.readAnnotation(0);
    const ids = new Set(labels!.data);
    expect([...ids].sort()).toEqual([0, 1]);
    const frame = await ds.sequences[0]!.readFrame(0);
    expect(frame.data.length).toBe(854 * 480 * 3);
  });

  it.skipIf(REAL_TENNIS === null)(`reads tennis with ids 1, 2 and void 255 as palette indices${needsSharedData('davis-real-tennis')}`, async () => {
    const ds = await openDavis2017(REAL_TENNIS!, { split: 'train', validate: 'decode' });
    const seq = ds.sequences[0]!;
    expect(seq.objectIds).toEqual([1, 2]);
    const ids = new Set((await seq.readAnnotation(0))!.data);
    expect([...ids].sort((a, b) => a - b)).toEqual([0, 1, 2, 255]);
  });
});

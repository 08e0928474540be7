import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { detectDavis2016Layout, openDavis2016, readDavis2016List } from '../../src/data/davis2016.js';
import { writeLabelPng } from '../../src/data/palette_png.js';
import { DataError } from '../../src/utils/errors.js';
import { H, movingSquare, W, writeDavis2016Official, writeGreyPng } from './davis2016_fixture.js';
import { rectLabels, removeDir, tempDir, testImage, writeJpeg } from './helpers.js';

const dirs: string[] = [];
function fresh(): string {
  const d = tempDir('rvos-davis2016-');
  dirs.push(d);
  return d;
}
afterAll(() => dirs.forEach(removeDir));

const count = (data: Uint8Array, v: number) => data.reduce((n, x) => n + (x === v ? 1 : 0), 0);

describe('DAVIS-2016 reader, official layout', () => {
  it('reads the list pairs, gives 0/255 masks as one object with id 1, sorts frames and splits by list', async () => {
    const root = fresh();
    await writeDavis2016Official(root, [{ name: 'bear', frames: 4 }, { name: 'swan', frames: 3 }], { train: ['bear'], val: ['swan', 'bear'] });
    expect(detectDavis2016Layout(root)).toBe('official');
    const listed = readDavis2016List(path.join(root, 'ImageSets', '480p', 'val.txt'), root);
    expect(listed.map((e) => e.name)).toEqual(['swan', 'bear']);
    expect(listed[1]!.annotations[2]).toBe(path.join(root, 'Annotations', '480p', 'bear', '00002.png'));

    const ds = await openDavis2016(root, { split: 'val' });
    expect(ds.name).toBe('davis2016');
    expect(ds.sequences.map((s) => s.name)).toEqual(['swan', 'bear']);
    const bear = ds.sequences[1]!;
    expect(bear.frameNames).toEqual(['00000', '00001', '00002', '00003']);
    expect([bear.width, bear.height]).toEqual([W, H]);
    expect(bear.objectIds).toEqual([1]);
    expect(bear.firstFrameOf.get(1)).toBe(0);
    const mask = (await bear.readAnnotation(2))!;
    // 255 became 1, exactly the square of frame 2; nothing else.
    expect(mask.data).toEqual(movingSquare(2).data);
    expect(count(mask.data, 1)).toBe(100);
    expect((await bear.readFrame(0)).data.length).toBe(W * H * 3);
    expect((await openDavis2016(root, { split: 'train' })).sequences.map((s) => s.name)).toEqual(['bear']);
  });

  it('rvos data info lists the splits of either layout and the videos with bad masks', async () => {
    const { run } = await import('../../src/cli/commands/data.js');
    const root = fresh();
    await writeDavis2016Official(root, [{ name: 'bear', frames: 4 }, { name: 'swan', frames: 3 }], { train: ['bear'], val: ['swan'] });
    writeGreyPng(path.join(root, 'Annotations', '480p', 'swan', '00002.png'), rectLabels(W, H, [[9, 0, 0, 1, 1]]), 1);
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      expect(await run(['info', '--dataset', 'davis2016', '--root', root, '--check'])).toBe(1);
      const printed = log.mock.calls.map((c) => String(c[0])).join('\n');
      expect(printed).toContain(`davis2016 at ${root}`);
      expect(printed).toMatch(/train: 1 sequences, 4 frames \(4 annotated\), 1 objects, sizes 40x30/);
      expect(printed).toMatch(/skipped swan: .*00002\.png: mask value 9 at pixel \(0, 0\)/);
    } finally {
      log.mockRestore();
    }
  });

  it('finds the object in a later frame with scan=all when frame 0 is empty', async () => {
    const root = fresh();
    const late = (t: number) => (t === 0 ? rectLabels(W, H, []) : movingSquare(t));
    await writeDavis2016Official(root, [{ name: 'late', frames: 3, labels: late }], { val: ['late'] });
    expect((await openDavis2016(root, { split: 'val' })).sequences[0]!.objectIds).toEqual([]);
    const all = (await openDavis2016(root, { split: 'val', scan: 'all' })).sequences[0]!;
    expect(all.objectIds).toEqual([1]);
    expect(all.firstFrameOf.get(1)).toBe(1);
  });

  it('bad files are one-line DataErrors naming the file: mask values, missing list, missing frame, bad line', async () => {
    const root = fresh();
    await writeDavis2016Official(root, [{ name: 'bear', frames: 3 }], { val: ['bear'] });
    // A mask with value 128 (e.g. an anti-aliased export) in frame 0: found when the dataset opens.
    const bad = path.join(root, 'Annotations', '480p', 'bear', '00000.png');
    writeGreyPng(bad, rectLabels(W, H, [[128, 0, 0, 2, 2]]), 1);
    const err = await openDavis2016(root, { split: 'val' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toContain(bad);
    expect((err as Error).message).toMatch(/mask value 128 at pixel \(0, 0\); DAVIS-2016 masks hold only 0 \(background\) and 255 \(object\)/);
    expect((err as Error).message).not.toContain('\n');

    // The same value in a later frame: headers-only opening does not decode it; validate=decode does.
    writeGreyPng(bad, movingSquare(0));
    const later = path.join(root, 'Annotations', '480p', 'bear', '00002.png');
    writeGreyPng(later, rectLabels(W, H, [[3, 0, 0, 1, 1]]), 1);
    const opened = await openDavis2016(root, { split: 'val' });
    await expect(opened.sequences[0]!.readAnnotation(2)).rejects.toThrow(/mask value 3 at pixel \(0, 0\)/);
    await expect(openDavis2016(root, { split: 'val', validate: 'decode' })).rejects.toThrow(later);
    // on_error=skip leaves the video out and says why.
    const skipped = await openDavis2016(root, { split: 'val', validate: 'decode', onError: 'skip' });
    expect(skipped.sequences).toEqual([]);
    expect(skipped.skipped![0]!.reason).toMatch(/mask value 3/);
    writeGreyPng(later, movingSquare(2));

    await expect(openDavis2016(root, { split: 'test' })).rejects.toThrow(/ImageSets\/480p\/test\.txt: list file is missing \(available in .*: val\.txt\)/);
    const frame = path.join(root, 'JPEGImages', '480p', 'bear', '00001.jpg');
    fs.renameSync(frame, `${frame}.moved`);
    await expect(openDavis2016(root, { split: 'val' })).rejects.toThrow(new RegExp(`${frame}: frame of sequence bear listed in .*val\\.txt is missing`));
    fs.renameSync(`${frame}.moved`, frame);
    const ann = path.join(root, 'Annotations', '480p', 'bear', '00001.png');
    fs.renameSync(ann, `${ann}.moved`);
    await expect(openDavis2016(root, { split: 'val' })).rejects.toThrow(/00001\.png: annotation of sequence bear listed in .*val\.txt is missing/);
    fs.renameSync(`${ann}.moved`, ann);

    fs.writeFileSync(path.join(root, 'ImageSets', '480p', 'odd.txt'), '/JPEGImages/480p/bear/00000.jpg\n');
    await expect(openDavis2016(root, { split: 'odd' })).rejects.toThrow(/odd\.txt: line 1 is '.*00000\.jpg'; each line must be "<frame>\.jpg <annotation>\.png"/);
    fs.writeFileSync(path.join(root, 'ImageSets', '480p', 'empty.txt'), '\n');
    await expect(openDavis2016(root, { split: 'empty' })).rejects.toThrow(/empty\.txt: list file is empty/);

    const nothing = fresh();
    expect(() => detectDavis2016Layout(nothing)).toThrow(/no ImageSets\/480p\/ \(official DAVIS-2016 layout\) or ImageSets\/2016\/ or 2017\/ \(DAVIS-2017 layout\)/);
    await expect(openDavis2016(path.join(nothing, 'absent'), { split: 'val' })).rejects.toThrow(/DAVIS-2016 root folder does not exist/);
  });
});

describe('DAVIS-2016 reader, DAVIS-2017 layout', () => {
  it('reads ImageSets/2016 and unions the palette objects into id 1 (void is background)', async () => {
    const root = fresh();
    for (let t = 0; t < 3; t++) {
      const stem = String(t).padStart(5, '0');
      await writeJpeg(path.join(root, 'JPEGImages', '480p', 'pair', `${stem}.jpg`), testImage(W, H, t));
      // Two objects and a void band: the foreground is objects 1 and 2 together.
      writeLabelPng(
        path.join(root, 'Annotations', '480p', 'pair', `${stem}.png`),
        rectLabels(W, H, [
          [1, 2, 2, 8, 8],
          [2, 20, 10, 30, 20],
          [255, 0, 25, 40, 27],
        ]),
      );
    }
    fs.mkdirSync(path.join(root, 'ImageSets', '2016'), { recursive: true });
    fs.writeFileSync(path.join(root, 'ImageSets', '2016', 'val.txt'), 'pair\n');
    expect(detectDavis2016Layout(root)).toBe('davis2017');
    const seq = (await openDavis2016(root, { split: 'val' })).sequences[0]!;
    expect(seq.objectIds).toEqual([1]);
    const mask = (await seq.readAnnotation(1))!;
    expect(count(mask.data, 1)).toBe(36 + 100);
    expect(count(mask.data, 0)).toBe(W * H - 136);
    expect(mask.data[26 * W + 5]).toBe(0);
    await expect(openDavis2016(root, { split: 'train' })).rejects.toThrow(/ImageSets\/2016\/train\.txt: split file is missing/);

    // With no 2016 lists (a generated synthetic folder) the folder's own 2017 lists are read.
    fs.rmSync(path.join(root, 'ImageSets', '2016'), { recursive: true });
    fs.mkdirSync(path.join(root, 'ImageSets', '2017'), { recursive: true });
    fs.writeFileSync(path.join(root, 'ImageSets', '2017', 'test.txt'), 'pair\n');
    expect(detectDavis2016Layout(root)).toBe('davis2017');
    const fromList2017 = (await openDavis2016(root, { split: 'test' })).sequences[0]!;
    expect(fromList2017.name).toBe('pair');
    expect(count((await fromList2017.readAnnotation(1))!.data, 1)).toBe(136);
    await expect(openDavis2016(root, { split: 'val' })).rejects.toThrow(/ImageSets\/2017\/val\.txt: split file is missing/);
  });
});

const REAL = process.env.DAVIS2016_ROOT;
describe.skipIf(REAL === undefined)('DAVIS-2016 reader on a real folder (DAVIS2016_ROOT)', () => {
  it('opens the val split: every video has one object in frame 0 and 0/1 masks', async () => {
    const ds = await openDavis2016(REAL!, { split: 'val' });
    expect(ds.sequences.length).toBeGreaterThan(0);
    for (const s of ds.sequences) {
      expect(s.objectIds).toEqual([1]);
      const mask = (await s.readAnnotation(s.frameNames.length - 1))!;
      expect(count(mask.data, 0) + count(mask.data, 1)).toBe(s.width * s.height);
    }
  });
});
if (REAL === undefined) console.log('[skip] DAVIS2016_ROOT is not set: the real DAVIS-2016 reader check is skipped');

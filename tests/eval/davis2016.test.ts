import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeLabelPng } from '../../src/data/palette_png.js';
import type { LabelMap } from '../../src/data/types.js';
import { evaluateDavis2016, evaluateSequence2016, predictedForeground } from '../../src/eval/davis2016.js';
import { buildDavisEvaluation } from '../../src/eval/report.js';
import { evaluateSequenceUnsupervised } from '../../src/eval/sequence.js';
import { EvalError } from '../../src/utils/errors.js';
import { H, W, writeDavis2016Official, writeGreyPng } from '../data/davis2016_fixture.js';
import { rectLabels, removeDir, tempDir } from '../data/helpers.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

/*
 * Hand values. Ground truth: a 10x10 square, x 5..14, y 5..14, in a 40x30 frame. Prediction: the
 * same square 5 px to the right (x 10..19).
 * J = |50| / |150| = 1/3.
 * F: the tolerance is ceil(0.008 * hypot(30, 40)) = 1 px (a 4-neighbour cross). A square's
 * boundary map (seg2bmap) is the 11x11 ring from its top-left outer corner (x0-1, y0-1) to its
 * bottom-right inner pixel (x1-1, y1-1): 40 pixels. Of the prediction's ring (x 9..19), within 1 px
 * of the ground truth's ring (x 4..14): its left column at y 4, 5, 13, 14 (4 px) and its top and
 * bottom rows at x 10..15 (6 + 6 px) = 16 of 40; by symmetry recall is also 16/40, so F = 0.4.
 */
const GT = rectLabels(W, H, [[1, 5, 5, 15, 15]]);
const SHIFTED = rectLabels(W, H, [[1, 10, 5, 20, 15]]);
const EMPTY = rectLabels(W, H, []);
const J_HAND = 1 / 3;
const F_HAND = 0.4;

describe('DAVIS-2016 protocol on one video', () => {
  it('semi-supervised: J and F of a shifted square match the hand values; the first and last frames are not scored', () => {
    const gt = [GT, GT, GT, GT];
    // Frames 0 and 3 are empty predictions: scored, they would pull J down.
    const ev = evaluateSequence2016(gt, [EMPTY, SHIFTED, SHIFTED, EMPTY], 'semi_supervised', { sequence: 'sq' });
    expect(ev.frames).toEqual(['1', '2']);
    expect(ev.objects.length).toBe(1);
    expect(ev.objects[0]!.jFrames).toEqual([J_HAND, J_HAND]);
    expect(ev.objects[0]!.fFrames[0]).toBeCloseTo(F_HAND, 12);
    const global = buildDavisEvaluation('semi_supervised', [ev]).global;
    expect(global['J-Mean']).toBeCloseTo(J_HAND, 12);
    expect(global['F-Mean']).toBeCloseTo(F_HAND, 12);
    expect(global['J&F-Mean']).toBeCloseTo((J_HAND + F_HAND) / 2, 12);
    // DAVIS-2016's own result masks use 255 for the object: the same scores.
    const as255 = { ...SHIFTED, data: SHIFTED.data.map((v) => v * 255) };
    expect(evaluateSequence2016(gt, [EMPTY, as255, as255, EMPTY], 'semi_supervised').objects[0]!.jFrames).toEqual([J_HAND, J_HAND]);
  });

  it('unsupervised: the union of the predicted instances is the foreground (DAVIS-2017 rules would score one instance)', () => {
    // The shifted square split into two instances: left half id 1, right half id 2.
    const split = rectLabels(W, H, [
      [1, 10, 5, 15, 15],
      [2, 15, 5, 20, 15],
    ]);
    const gt = [GT, GT, GT, GT];
    const pred = [split, split, split, split];
    const ev = evaluateSequence2016(gt, pred, 'unsupervised');
    expect(ev.objects[0]!.J.mean).toBeCloseTo(J_HAND, 12);
    expect(ev.objects[0]!.F.mean).toBeCloseTo(F_HAND, 12);
    // The DAVIS-2017 unsupervised task matches the single best instance instead (id 1: J = 50/100).
    expect(evaluateSequenceUnsupervised(gt, pred).objects[0]!.J.mean).toBeCloseTo(0.5, 12);
    expect(() => evaluateSequence2016(gt, pred, 'semi_supervised', { sequence: 'sq' })).toThrow(EvalError);
    expect(() => predictedForeground(split, 'semi_supervised', 'x.png')).toThrow(
      /x\.png: predicted id 2, but a DAVIS-2016 semi-supervised video has one object/,
    );
    expect(() => evaluateSequence2016([EMPTY, GT, GT], [EMPTY, GT, GT], 'semi_supervised', { sequence: 'late' })).toThrow(
      /sequence 'late': the first frame's mask has no object/,
    );
  });
});

describe('DAVIS-2016 result folders', () => {
  it('scores a folder of 0/255 or palette masks; the first and last frames may be absent', async () => {
    const root = tempDir('rvos-eval2016-');
    dirs.push(root);
    const still = () => GT;
    await writeDavis2016Official(
      root,
      [
        { name: 'still', frames: 4, labels: still },
        { name: 'other', frames: 3, labels: still },
      ],
      { val: ['still', 'other'] },
    );
    const results = path.join(root, 'res');
    // 'still': 0/255 grey masks shifted by 5 px, frames 1 and 2 only. 'other': exact palette masks.
    for (const t of [1, 2]) writeGreyPng(path.join(results, 'still', `0000${t}.png`), SHIFTED);
    writeLabelPng(path.join(results, 'other', '00001.png'), GT);
    const ev = await evaluateDavis2016({ root, results, task: 'semi_supervised' });
    expect(ev.perObject.map((r) => r.Sequence)).toEqual(['still_1', 'other_1']);
    expect(ev.sequences[0]!.objects[0]!.J.mean).toBeCloseTo(J_HAND, 12);
    expect(ev.sequences[1]!.objects[0]!.J.mean).toBe(1);
    expect(ev.global['J-Mean']).toBeCloseTo((J_HAND + 1) / 2, 12);
    expect(ev.global['F-Mean']).toBeCloseTo((F_HAND + 1) / 2, 12);

    const only = await evaluateDavis2016({ root, results, task: 'semi_supervised', sequences: ['other'] });
    expect(only.global['J&F-Mean']).toBe(1);
    await expect(evaluateDavis2016({ root, results, task: 'semi_supervised', sequences: ['nope'] })).rejects.toThrow(
      /--sequences: nope not in DAVIS-2016 split 'val'/,
    );
    fs.rmSync(path.join(results, 'still', '00002.png'));
    await expect(evaluateDavis2016({ root, results, task: 'semi_supervised' })).rejects.toThrow(/still\/00002\.png: predicted frame is missing/);
    await expect(evaluateDavis2016({ root, results: path.join(root, 'none'), task: 'semi_supervised' })).rejects.toThrow(/result folder does not exist/);
  });
});

const REAL = process.env.DAVIS2016_ROOT;
describe.skipIf(REAL === undefined)('DAVIS-2016 protocol on a real folder (DAVIS2016_ROOT)', () => {
  it('the ground truth scored against itself is perfect, and against an empty prediction is zero', async () => {
    const { openDavis2016 } = await import('../../src/data/davis2016.js');
    const seq = (await openDavis2016(REAL!, { split: 'val' })).sequences[0]!;
    const gt: LabelMap[] = [];
    for (let t = 0; t < seq.frameNames.length; t++) gt.push((await seq.readAnnotation(t))!);
    expect(evaluateSequence2016(gt, gt, 'unsupervised').objects[0]!.J.mean).toBe(1);
    const empty = gt.map((m) => ({ ...m, data: new Uint8Array(m.data.length) }));
    const ev = evaluateSequence2016(gt, empty, 'semi_supervised');
    expect(ev.objects[0]!.J.mean).toBe(0);
    expect(ev.frames.length).toBe(seq.frameNames.length - 2);
  });
});
if (REAL === undefined) console.log('[skip] DAVIS2016_ROOT is not set: the real DAVIS-2016 protocol check is skipped');

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encode as encodePng } from 'fast-png';
import { type LabelMap, readLabelPng, writeLabelPng } from '../../src/data/palette_png.js';
import { evaluateDavis } from '../../src/eval/davis.js';
import { formatFixed3, globalCsv, writeEvaluation } from '../../src/eval/report.js';
import { evaluateSequenceSemi, evaluateSequenceUnsupervised } from '../../src/eval/sequence.js';
import { EvalError } from '../../src/utils/errors.js';
import { Rng } from '../../src/utils/rng.js';
import { needsSharedData, sharedData } from '../shared_data.js';

const W = 40,
  H = 30;

/** A label map with rectangles [id, y0, x0, y1, x1] painted in order. */
function paint(rects: [number, number, number, number, number][], width = W, height = H): LabelMap {
  const data = new Uint8Array(width * height);
  for (const [id, y0, x0, y1, x1] of rects) for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) data[y * width + x] = id;
  return { width, height, data };
}

/** A moving two-object scene over n frames, with a void band on object 1's right side. */
function scene(n: number): LabelMap[] {
  return Array.from({ length: n }, (_, t) =>
    paint([
      [1, 4, 3 + t, 14, 12 + t],
      [255, 4, 13 + t, 14, 14 + t],
      [2, 18, 20, 26, 30 - t],
    ]),
  );
}

const tmpDirs: string[] = [];
function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'rvos-eval-'));
  tmpDirs.push(d);
  return d;
}
afterAll(() => tmpDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe('semi-supervised protocol (in memory)', () => {
  it('scores a perfect prediction 1, skips the first and last frame and ignores void', () => {
    const gt = scene(6);
    // Void pixels predicted as object 1: void counts as background in this protocol, so J < 1.
    const withVoid = gt.map((m) => ({ ...m, data: m.data.map((v) => (v === 255 ? 1 : v)) }));
    const perfect = gt.map((m) => ({ ...m, data: m.data.map((v) => (v === 255 ? 0 : v)) }));
    const ev = evaluateSequenceSemi(gt, perfect, { sequence: 'toy' });
    expect(ev.frames).toEqual(['1', '2', '3', '4']);
    expect(ev.objects.map((o) => o.name)).toEqual(['toy_1', 'toy_2']);
    for (const o of ev.objects) {
      expect(o.J).toEqual({ mean: 1, recall: 1, decay: 0 });
      expect(o.F).toEqual({ mean: 1, recall: 1, decay: 0 });
    }
    const ev2 = evaluateSequenceSemi(gt, withVoid, { sequence: 'toy' });
    // Object 1 is 11 rows × 10 columns, void adds 2 columns: J = 110 / 132.
    expect(ev2.objects[0]!.J.mean).toBeCloseTo(110 / 132, 12);
    expect(ev2.objects[1]!.J.mean).toBe(1);
  });

  it('treats missing ids as empty objects and ignores ids above N in the ground truth', () => {
    const gt = [
      paint([
        [1, 2, 2, 5, 5],
        [2, 10, 10, 12, 12],
      ]),
      paint([
        [1, 2, 2, 5, 5],
        [3, 20, 20, 22, 22],
      ]),
      paint([]),
    ];
    const pred = [paint([]), paint([[1, 2, 2, 5, 5]]), paint([])];
    const ev = evaluateSequenceSemi(gt, pred);
    expect(ev.objects).toHaveLength(2);
    expect(ev.objects[0]!.jFrames).toEqual([1]);
    // Object 2 is absent in frame 1 and not predicted: empty vs empty scores 1; id 3 is ignored.
    expect(ev.objects[1]!.jFrames).toEqual([1]);
    expect(ev.objects[1]!.fFrames).toEqual([1]);
  });

  it('rejects a predicted id above the object count, naming the file', () => {
    const gt = scene(4);
    const pred = gt.map((m) => ({ ...m, data: m.data.map((v) => (v === 255 ? 0 : v)) }));
    pred[2]!.data[0] = 3;
    expect(() => evaluateSequenceSemi(gt, pred, { sequence: 's', predictionNames: ['a.png', 'b.png', 'c.png', 'd.png'] })).toThrow(
      /c\.png: predicted id 3 but sequence 's' has 2 object/,
    );
    // The same id in the (unscored) first frame is not read, as in the official toolkit.
    const first = gt.map((m) => ({ ...m, data: m.data.map((v) => (v === 255 ? 0 : v)) }));
    first[0]!.data[0] = 9;
    expect(() => evaluateSequenceSemi(gt, first)).not.toThrow();
  });

  it('rejects wrong sizes and too-short sequences', () => {
    const gt = scene(4);
    const pred = gt.slice();
    pred[1] = paint([], W + 1, H);
    expect(() => evaluateSequenceSemi(gt, pred, { predictionNames: ['a', 'x/00001.png', 'c', 'd'] })).toThrow(/x\/00001\.png: prediction is 41x30/);
    expect(() => evaluateSequenceSemi(scene(2), scene(2))).toThrow(/at least 3/);
  });
});

describe('unsupervised protocol (in memory)', () => {
  it('matches proposals to objects and is invariant to permuting proposal ids', () => {
    const rng = new Rng(9);
    const gt = scene(8);
    // Proposals: noisy copies of the two objects plus distractors.
    const base = gt.map((m) => {
      const d = m.data.map((v) => (v === 255 ? 0 : v === 1 ? 3 : v === 2 ? 1 : 0));
      for (let i = 0; i < 40; i++) d[rng.int(0, d.length - 1)] = rng.int(0, 5);
      return { ...m, data: d };
    });
    const a = evaluateSequenceUnsupervised(gt, base, { sequence: 'u' });
    const byObject = (ev: typeof a) => Object.fromEntries(ev.objects.map((o) => [o.objectId, [o.J, o.F, o.jFrames]]));
    expect(a.objects.find((o) => o.objectId === 1)!.predictedId).toBe(3);
    expect(a.objects.find((o) => o.objectId === 2)!.predictedId).toBe(1);
    for (let trial = 0; trial < 5; trial++) {
      const perm = [0, ...rng.shuffle([1, 2, 3, 4, 5])];
      const permuted = base.map((m) => ({ ...m, data: m.data.map((v) => perm[v]!) }));
      const b = evaluateSequenceUnsupervised(gt, permuted, { sequence: 'u' });
      expect(byObject(b)).toEqual(byObject(a));
    }
  });

  it('uses void, orders rows by proposal like the official code and pads missing proposals', () => {
    const gt = scene(3);
    // Exact masks, object 2 predicted as proposal 1 and object 1 as proposal 2, void predicted too.
    const pred = gt.map((m) => ({ ...m, data: m.data.map((v) => (v === 1 || v === 255 ? 2 : v === 2 ? 1 : 0)) }));
    const ev = evaluateSequenceUnsupervised(gt, pred, { sequence: 'v' });
    expect(ev.objects.map((o) => [o.name, o.objectId, o.predictedId])).toEqual([
      ['v_1', 2, 1],
      ['v_2', 1, 2],
    ]);
    for (const o of ev.objects) expect([o.J.mean, o.F.mean, o.J.decay]).toEqual([1, 1, 0]);
    // Only one proposal for two objects: the other object gets an empty (padded) proposal.
    const one = gt.map((m) => ({ ...m, data: m.data.map((v) => (v === 1 ? 1 : 0)) }));
    const ev1 = evaluateSequenceUnsupervised(gt, one, { sequence: 'v' });
    expect(ev1.objects.map((o) => [o.objectId, o.predictedId, o.J.mean])).toEqual([
      [1, 1, 1],
      [2, null, 0],
    ]);
  });

  it('rejects more than 20 proposals, naming the file', () => {
    const gt = scene(2);
    const pred = [paint([[21, 0, 0, 1, 1]]), paint([])];
    expect(() => evaluateSequenceUnsupervised(gt, pred, { predictionNames: ['r/00000.png', 'r/00001.png'] })).toThrow(
      /r\/00000\.png: proposal id 21 is above the 20 proposals/,
    );
    expect(() => evaluateSequenceUnsupervised(gt, [paint([[20, 0, 0, 1, 1]]), paint([])])).not.toThrow();
  });
});

describe('DAVIS folders', () => {
  function writeDavis(root: string, sequences: Record<string, LabelMap[]>, folder = 'Annotations'): void {
    fs.mkdirSync(path.join(root, 'ImageSets', '2017'), { recursive: true });
    fs.writeFileSync(path.join(root, 'ImageSets', '2017', 'val.txt'), Object.keys(sequences).join('\n') + '\n');
    for (const [seq, frames] of Object.entries(sequences)) {
      frames.forEach((m, t) => writeLabelPng(path.join(root, folder, '480p', seq, `${String(t).padStart(5, '0')}.png`), m));
    }
  }
  function writeResults(dir: string, sequences: Record<string, LabelMap[]>): void {
    for (const [seq, frames] of Object.entries(sequences)) {
      frames.forEach((m, t) => writeLabelPng(path.join(dir, seq, `${String(t).padStart(5, '0')}.png`), m));
    }
  }

  it('evaluates a folder, averages over all objects and writes the official files', async () => {
    const root = tmpDir();
    const gtA = scene(5);
    const gtB = [paint([[1, 0, 0, 9, 9]]), paint([[1, 0, 0, 9, 9]]), paint([[1, 0, 0, 9, 9]])];
    writeDavis(root, { a: gtA, b: gtB });
    const results = path.join(root, 'res');
    // a: perfect; b: object predicted as empty in the one scored frame (J = 0, F = 0).
    writeResults(results, { a: gtA.map((m) => ({ ...m, data: m.data.map((v) => (v === 255 ? 0 : v)) })), b: [paint([]), paint([]), paint([])] });
    const ev = await evaluateDavis({ root, results, task: 'semi_supervised' });
    expect(ev.perObject.map((r) => [r.Sequence, r['J-Mean'], r['F-Mean']])).toEqual([
      ['a_1', 1, 1],
      ['a_2', 1, 1],
      ['b_1', 0, 0],
    ]);
    expect(ev.global['J-Mean']).toBeCloseTo(2 / 3, 15);
    expect(ev.global['J&F-Mean']).toBeCloseTo(2 / 3, 15);
    const out = path.join(root, 'out');
    const files = writeEvaluation(out, ev);
    expect(files.map((f) => path.basename(f))).toEqual([
      'global_results-semi-supervised.csv',
      'per-sequence_results-semi-supervised.csv',
      'results-semi-supervised.json',
    ]);
    expect(fs.readFileSync(files[0]!, 'utf8')).toBe('J&F-Mean,J-Mean,J-Recall,J-Decay,F-Mean,F-Recall,F-Decay\n0.667,0.667,0.667,0.000,0.667,0.667,0.000\n');
    expect(fs.readFileSync(files[1]!, 'utf8')).toBe('Sequence,J-Mean,F-Mean\na_1,1.000,1.000\na_2,1.000,1.000\nb_1,0.000,0.000\n');
    expect(JSON.parse(fs.readFileSync(files[2]!, 'utf8')).global['J-Mean']).toBeCloseTo(2 / 3, 15);
  });

  it('reports temporal stability separately when asked', async () => {
    const root = tmpDir();
    const gt = scene(5);
    writeDavis(root, { m: gt });
    const results = path.join(root, 'res');
    writeResults(results, { m: gt.map((m) => ({ ...m, data: m.data.map((v) => (v === 255 ? 0 : v)) })) });
    const ev = await evaluateDavis({ root, results, task: 'semi_supervised', temporalStability: true });
    // Object 1 translates rigidly (T = 0); object 2 shrinks (T > 0).
    expect(ev.temporalStability!.perObject['m_1']).toBe(0);
    expect(ev.temporalStability!.perObject['m_2']).toBeGreaterThan(0);
    const files = writeEvaluation(path.join(root, 'out'), ev);
    expect(path.basename(files[3]!)).toBe('temporal_stability-semi-supervised.csv');
    expect(fs.readFileSync(files[3]!, 'utf8').split('\n')[0]).toBe('Sequence,T-Mean');
    const plain = await evaluateDavis({ root, results, task: 'semi_supervised' });
    expect(plain.temporalStability).toBeUndefined();
  });

  it('names the missing frame, the wrong-size frame and the out-of-range id', async () => {
    const root = tmpDir();
    const gt = scene(4);
    writeDavis(root, { s: gt });
    const results = path.join(root, 'res');
    writeResults(results, { s: gt.map((m) => ({ ...m, data: m.data.map((v) => (v === 255 ? 0 : v)) })) });
    const frame2 = path.join(results, 's', '00002.png');
    const good = readLabelPng(frame2);
    fs.rmSync(frame2);
    await expect(evaluateDavis({ root, results, task: 'semi_supervised' })).rejects.toThrow(
      new RegExp(`${frame2.replace(/[.]/g, '\\.')}: predicted frame is missing`),
    );
    writeLabelPng(frame2, paint([], 10, 10));
    await expect(evaluateDavis({ root, results, task: 'semi_supervised' })).rejects.toThrow(/00002\.png: prediction is 10x10 but the ground truth is 40x30/);
    writeLabelPng(frame2, { ...good, data: good.data.map((v) => (v === 2 ? 7 : v)) });
    await expect(evaluateDavis({ root, results, task: 'semi_supervised' })).rejects.toBeInstanceOf(EvalError);
    await expect(evaluateDavis({ root, results, task: 'semi_supervised' })).rejects.toThrow(/00002\.png: predicted id 7/);
    await expect(evaluateDavis({ root, results: path.join(root, 'nope'), task: 'semi_supervised' })).rejects.toThrow(/result folder does not exist/);
  });

  it('warns, in one line each, about predicted frames the ground truth lacks and grayscale predictions, and scores the rest', async () => {
    const root = tmpDir();
    const gt = scene(4);
    writeDavis(root, { s: gt });
    const results = path.join(root, 'res');
    const predicted = gt.map((m) => ({ ...m, data: m.data.map((v) => (v === 255 ? 0 : v)) }));
    writeResults(results, { s: predicted });
    const quiet: string[] = [];
    const clean = await evaluateDavis({ root, results, task: 'semi_supervised', warn: (l) => quiet.push(l) });
    expect(quiet).toEqual([]);
    // An extra frame (e.g. results numbered from 1 while the ground truth ends at 00003) and a grey PNG with valid ids.
    writeLabelPng(path.join(results, 's', '00004.png'), predicted[3]!);
    const grey = path.join(results, 's', '00001.png');
    fs.writeFileSync(grey, encodePng({ width: W, height: H, data: predicted[1]!.data, channels: 1, depth: 8 }));
    const warnings: string[] = [];
    const ev = await evaluateDavis({ root, results, task: 'semi_supervised', warn: (l) => warnings.push(l) });
    expect(ev.global).toEqual(clean.global);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(
      new RegExp(`^1 label PNG is 8-bit grayscale, not palette PNGs, in ${results} \\(first: ${grey}\\); their grey values are read as object ids`),
    );
    expect(warnings[1]).toBe(
      `1 predicted frame has no ground-truth annotation and is not scored (first: ${path.join(results, 's', '00004.png')}); check that the result folder uses the dataset's frame names`,
    );
  });

  it('reads Annotations_unsupervised for the unsupervised task', async () => {
    const root = tmpDir();
    const gt = scene(3);
    writeDavis(root, { s: gt }, 'Annotations_unsupervised');
    const results = path.join(root, 'res');
    writeResults(results, { s: gt.map((m) => ({ ...m, data: m.data.map((v) => (v === 1 ? 5 : v === 2 ? 9 : 0)) })) });
    const ev = await evaluateDavis({ root, results, task: 'unsupervised' });
    expect(ev.task).toBe('unsupervised');
    expect(ev.global['J-Mean']).toBe(1);
    expect(ev.sequences[0]!.objects.map((o) => o.predictedId)).toEqual([5, 9]);
  });
});

describe('CSV formatting', () => {
  it("rounds like Python's %.3f, ties to even, NaN as an empty cell", () => {
    expect(formatFixed3(0.0625)).toBe('0.062');
    expect(formatFixed3(0.1875)).toBe('0.188');
    expect(formatFixed3(-0.0625)).toBe('-0.062');
    expect(formatFixed3(0.8125)).toBe('0.812');
    expect(formatFixed3(0.12345)).toBe('0.123');
    expect(formatFixed3(2 / 3)).toBe('0.667');
    expect(formatFixed3(Number.NaN)).toBe('');
    const nan = { 'J&F-Mean': 1, 'J-Mean': 1, 'J-Recall': 1, 'J-Decay': Number.NaN, 'F-Mean': 1, 'F-Recall': 1, 'F-Decay': 0 };
    expect(globalCsv(nan).split('\n')[1]).toBe('1.000,1.000,1.000,,1.000,1.000,0.000');
  });
});

// Empty when RVOS_SHARED_DATA is unset: the block is skipped.
const DAVIS_REAL = sharedData('davis-real') ?? '';
describe.skipIf(DAVIS_REAL === '')(`real DAVIS files${needsSharedData('davis-real')}`, () => {
  it('reproduces the published per-frame OSVOS numbers (DAVIS-2017 val, semi-supervised)', async () => {
    const published = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, 'fixtures', 'osvos_davis2017_published.json'), 'utf8')) as {
      objects: Record<string, { J: number[]; F: number[] }>;
    };
    const ev = await evaluateDavis({ root: DAVIS_REAL, results: path.join(DAVIS_REAL, 'results', 'osvos'), task: 'semi_supervised' });
    expect(ev.perObject.map((r) => r.Sequence)).toEqual(['blackswan_1', 'car-shadow_1', 'dog_1', 'drift-chicane_1', 'libby_1']);
    const objects = ev.sequences.flatMap((s) => s.objects);
    for (const [name, ref] of Object.entries(published.objects)) {
      const ours = objects.find((o) => o.name === name)!;
      expect(ours.jFrames).toHaveLength(ref.J.length);
      // Published values have 4 decimals: every frame within half a unit of the last digit.
      ours.jFrames.forEach((v, t) => expect(Math.abs(v - ref.J[t]!)).toBeLessThanOrEqual(5e-5 + 1e-12));
      ours.fFrames.forEach((v, t) => expect(Math.abs(v - ref.F[t]!)).toBeLessThanOrEqual(5e-5 + 1e-12));
      const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
      expect(Math.abs(ours.J.mean - mean(ref.J))).toBeLessThan(1e-3);
      expect(Math.abs(ours.F.mean - mean(ref.F))).toBeLessThan(1e-3);
    }
  });

  it('reads the multi-id RVOS unsupervised predictions, and the semi protocol rejects them', async () => {
    const results = path.join(DAVIS_REAL, 'results_unsupervised', 'rvos');
    // No unsupervised ground truth is available: score against the single-object annotations
    // only to exercise the reader and the matching on real many-id maps.
    const ev = await evaluateDavis({ root: DAVIS_REAL, results, task: 'unsupervised', annotations: 'Annotations', sequences: ['blackswan', 'libby'] });
    for (const o of ev.sequences.flatMap((s) => s.objects)) {
      expect(o.predictedId).toBeGreaterThanOrEqual(1);
      expect(o.predictedId).toBeLessThanOrEqual(20);
      expect(o.J.mean).toBeGreaterThan(0);
      expect(o.J.mean).toBeLessThanOrEqual(1);
    }
    await expect(evaluateDavis({ root: DAVIS_REAL, results, task: 'semi_supervised', sequences: ['blackswan'] })).rejects.toThrow(
      /blackswan.*predicted id \d+ but sequence 'blackswan' has 1 object/,
    );
  });
});

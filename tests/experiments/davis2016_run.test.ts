// DAVIS-2016 end to end on small fixtures: the copy-first floor of `rvos eval --floor` (DAVIS-2016
// and DAVIS-2017 roots) against hand values, and runs trained with data=davis2016 that
// `rvos eval --run` scores with the task of their mode (one-shot: semi-supervised; zero-shot: the
// binary foreground).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { run as evalCli } from '../../src/cli/commands/eval.js';
import { composeConfig } from '../../src/config/index.js';
import { readLabelPng, writeLabelPng } from '../../src/data/palette_png.js';
import { runTraining } from '../../src/experiments/run/run.js';
import { movingSquare, writeDavis2016Official } from '../data/davis2016_fixture.js';
import { rectLabels, removeDir, tempDir, testImage, writeDavis, writeJpeg } from '../data/helpers.js';

const base = tempDir('rvos-davis2016-run-');
afterAll(() => removeDir(base));

/** Runs `rvos eval` with console output captured; returns the printed lines. */
async function evalQuiet(args: string[]): Promise<string> {
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    expect(await evalCli(args)).toBe(0);
    return log.mock.calls.map((c) => String(c[0])).join('\n');
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
}

const globalOf = (dir: string, task: string) =>
  (JSON.parse(fs.readFileSync(path.join(dir, `results-${task}.json`), 'utf8')) as { global: Record<string, number> }).global;

describe('copy-first floor (rvos eval --floor copy_first)', () => {
  it('DAVIS-2016: every frame repeats the first mask; J of the scored frames matches the hand value', async () => {
    const root = path.join(base, 'd16');
    await writeDavis2016Official(root, [{ name: 'sq', frames: 4 }], { val: ['sq'] });
    const out = path.join(base, 'floor16');
    const printed = await evalQuiet(['--floor', 'copy_first', '--dataset', 'davis2016', '--root', root, '--out', out, '--backend', 'wasm']);
    expect(printed).toMatch(/DAVIS-2016 semi_supervised: 1 sequences/);
    // The square moves 2 px a frame: frame t overlaps frame 0 in (10 - 2t) of (10 + 2t) columns.
    expect(globalOf(out, 'semi-supervised')['J-Mean']).toBeCloseTo((8 / 12 + 6 / 14) / 2, 12);
    for (const t of [0, 3]) expect(readLabelPng(path.join(out, 'predictions', 'sq', `0000${t}.png`)).data).toEqual(movingSquare(0).data);
  });

  it('DAVIS-2017: the same floor for a multi-frame palette dataset; bad combinations are refused', async () => {
    const root = path.join(base, 'd17');
    // Default objects: a 6x6 square moving 1 px a frame.
    await writeDavis(root, [{ name: 'a', frames: 4, width: 16, height: 12 }], { val: ['a'] });
    const out = path.join(base, 'floor17');
    await evalQuiet(['--floor', 'copy_first', '--dataset', 'davis2017', '--root', root, '--out', out, '--backend', 'wasm']);
    expect(globalOf(out, 'semi-supervised')['J-Mean']).toBeCloseTo((5 / 7 + 4 / 8) / 2, 12);
    await expect(evalCli(['--floor', 'copy_first', '--task', 'unsupervised', '--dataset', 'davis2017', '--root', root])).rejects.toThrow(
      /--floor copy_first is the one-shot floor .*--task semi_supervised/,
    );
    await expect(evalCli(['--floor', 'copy_first', '--results', out, '--dataset', 'davis2017', '--root', root])).rejects.toThrow(
      /pass only one of --results, --run, --floor \(got --results and --floor\)/,
    );
    await expect(evalCli(['--floor', 'median', '--dataset', 'davis2017', '--root', root])).rejects.toThrow(/--floor must be one of copy_first/);
  });

  it('YouTube-VOS: an object entering later is copied from its own first frame', async () => {
    const root = path.join(base, 'yt');
    const split = path.join(root, 'valid');
    // Object 1 from frame 0; object 2 enters at frame 2. Both still: the floor is exact for both.
    const one = rectLabels(16, 12, [[1, 1, 1, 5, 5]]);
    const both = rectLabels(16, 12, [
      [1, 1, 1, 5, 5],
      [2, 8, 4, 14, 10],
    ]);
    for (let t = 0; t < 4; t++) {
      const stem = `0000${t * 5}`.slice(-5);
      await writeJpeg(path.join(split, 'JPEGImages', 'v', `${stem}.jpg`), testImage(16, 12, t));
      writeLabelPng(path.join(split, 'Annotations', 'v', `${stem}.png`), t < 2 ? one : both);
    }
    const meta = { videos: { v: { objects: { '1': { category: 'cat', frames: ['00000'] }, '2': { category: 'dog', frames: ['00010'] } } } } };
    fs.writeFileSync(path.join(split, 'meta.json'), JSON.stringify(meta));
    fs.writeFileSync(path.join(root, 'seen.txt'), 'cat\n');
    const out = path.join(base, 'flooryt');
    await evalQuiet([
      '--floor',
      'copy_first',
      '--dataset',
      'youtube_vos',
      '--root',
      root,
      '--seen',
      path.join(root, 'seen.txt'),
      '--out',
      out,
      '--backend',
      'wasm',
    ]);
    expect(readLabelPng(path.join(out, 'predictions', 'v', '00015.png')).data).toEqual(both.data);
    expect(readLabelPng(path.join(out, 'predictions', 'v', '00005.png')).data).toEqual(one.data);
  });
});

describe('runs on data=davis2016', () => {
  it('train and score with the DAVIS-2016 protocol; rvos eval --run picks the task from the mode', async () => {
    const root = path.join(base, 'train16');
    await writeDavis2016Official(
      root,
      [
        { name: 'a', frames: 5 },
        { name: 'b', frames: 4 },
      ],
      // The test split (val) must hold videos training never saw.
      { train: ['a'], val: ['b'] },
    );
    const tiny = (extra: string[]) =>
      composeConfig({
        configDir: 'configs',
        overrides: [
          'backend=wasm',
          'data=davis2016',
          `data.root=${root}`,
          'data.size=[32,32]',
          'data.batch_size=2',
          'data.clip_length=3',
          'data.prefetch=1',
          'train.steps=1',
          'train.val_every=1',
          'train.ckpt_every=1',
          ...extra,
        ],
      });
    const quiet = { resume: false, log: () => undefined, progress: false } as const;

    const oneShot = path.join(base, 'copy');
    const copy = await runTraining(tiny(['model=copy_first']), { runDir: oneShot, ...quiet });
    expect(copy.task).toBe('semi_supervised');
    const printedOne = await evalQuiet(['--run', oneShot, '--dataset', 'davis2016', '--root', root, '--backend', 'wasm']);
    expect(printedOne).toMatch(/DAVIS-2016 semi_supervised: 1 sequences/);
    // The run's own final evaluation (in-memory, the same protocol) agrees with the folder evaluation.
    expect(globalOf(path.join(oneShot, 'eval-davis2016-val'), 'semi-supervised')['J-Mean']).toBeCloseTo(copy.global['J-Mean'], 12);

    const zeroShot = path.join(base, 'zero');
    const zero = await runTraining(tiny(['model.mode=zero_shot', 'model.hidden=8']), { runDir: zeroShot, ...quiet });
    expect(zero.task).toBe('unsupervised');
    const printedZero = await evalQuiet(['--run', zeroShot, '--dataset', 'davis2016', '--root', root, '--backend', 'wasm']);
    expect(printedZero).toMatch(/DAVIS-2016 unsupervised \(foreground: the union of the predicted instances\): 1 sequences/);
    const g = globalOf(path.join(zeroShot, 'eval-davis2016-val'), 'unsupervised');
    expect(g['J-Mean']).toBeCloseTo(zero.global['J-Mean'], 12);
    // Frames 1..n-2 are scored (2 of 4), as in the semi-supervised task.
    const json = JSON.parse(fs.readFileSync(path.join(zeroShot, 'eval-davis2016-val', 'results-unsupervised.json'), 'utf8'));
    expect(json.sequences[0].frames).toEqual(['00001', '00002']);
    expect(tf.memory().numTensors).toBeLessThan(50);
  });
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { composeConfig, loadRunConfig } from '../../src/config/index.js';
import { runTraining } from '../../src/experiments/run/run.js';
import { readLabelPng } from '../../src/data/index.js';
import { evaluateDavis } from '../../src/eval/davis.js';
import { formatFixed3 } from '../../src/eval/report.js';
import { readRecords } from '../../src/logging/index.js';

/** Mutes console.log and stderr (CLI output); returns the undo. */
function silence(): () => void {
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  return () => {
    log.mockRestore();
    err.mockRestore();
  };
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'rvos-run-'));

function tiny(root: string, extra: string[]) {
  return composeConfig({
    configDir: 'configs',
    overrides: [
      'backend=wasm',
      `data.root=${root}`,
      'data.size=[32,32]',
      'data.batch_size=2',
      'data.clip_length=3',
      'data.max_objects=3',
      'data.synth.train_videos=4',
      'data.synth.val_videos=3',
      'data.synth.test_videos=3',
      'data.synth.frames=5',
      'data.synth.difficulty=hard',
      'model.hidden=8',
      'train.steps=4',
      'train.val_every=2',
      'train.ckpt_every=2',
      ...extra,
    ],
  });
}

describe('runTraining', () => {
  it('one-shot run on data with late-entering objects: trains, evaluates officially, writes every artefact', async () => {
    const data = path.join(tmp(), 'synth');
    const runDir = path.join(tmp(), 'run');
    // A 4-step model's probabilities stay near 0.5: a low threshold makes its masks non-empty, so the
    // comparisons of inference paths below compare real masks.
    const composed = tiny(data, [
      'model.mode=one_shot',
      'data.prior_mask=true',
      'train.stages=[{name:gt_prev,steps:2},{name:pred_prev,steps:2}]',
      'eval.threshold=0.2',
    ]);
    const results = await runTraining(composed, { runDir, resume: false, log: () => undefined, progress: false });
    expect(results.task).toBe('semi_supervised');
    expect(results.steps).toBe(4);
    expect(results.validation.map((v) => v.step)).toEqual([2, 4]);
    expect(Number.isFinite(results.global['J&F-Mean'])).toBe(true);
    // The final evaluation scores the test split (3 videos), with the val-chosen and the final weights.
    const testNames = fs
      .readFileSync(path.join(data, 'ImageSets', '2017', 'test.txt'), 'utf8')
      .trim()
      .split('\n');
    expect(results.split).toBe('test');
    expect(results.perSequence!.map((s) => s.name)).toEqual(testNames);
    expect(results.perSequence!.every((s) => Math.abs(s.jAndF - (s.j + s.f) / 2) < 1e-12)).toBe(true);
    expect(results.final!.step).toBe(4);
    expect(results.final!.perSequence.map((s) => s.name)).toEqual(testNames);
    if (results.bestStep === 4) expect(results.final!.global).toEqual(results.global);
    for (const f of ['results.json', 'model/config.json', 'eval/global_results-semi-supervised.csv', '.hydra/config.yaml', 'checkpoints/best.json']) {
      expect(fs.existsSync(path.join(runDir, f)), f).toBe(true);
    }
    const predicted = fs.readdirSync(path.join(runDir, 'predictions'));
    expect(predicted.sort()).toEqual([...testNames].sort());
    // The run folder reproduces the config.
    expect(loadRunConfig(runDir).config).toEqual(composed.config);
    // TensorBoard: a file with the loss scalars and a validation image.
    const tb = fs.readdirSync(path.join(runDir, 'tb')).filter((f) => f.includes('tfevents'));
    expect(tb.length).toBe(1);
    const records = readRecords(fs.readFileSync(path.join(runDir, 'tb', tb[0]!)));
    const text = records.map((r) => Buffer.from(r).toString('latin1')).join('\n');
    expect(text).toContain('train/loss');
    expect(text).toContain('val/J&F');
    expect(text).toContain('\x89PNG');
    expect(tf.memory().numTensors).toBeLessThan(50);
    // Memory is recorded at every validation and stays flat between them.
    expect(results.validation[1]!.tensors).toBe(results.validation[0]!.tensors);

    // `rvos infer` on one of the videos, as a user would with their own frames + first mask.
    const { run: infer } = await import('../../src/cli/commands/infer.js');
    const seq = fs.readdirSync(path.join(data, 'JPEGImages', '480p'))[0]!;
    const out = path.join(tmp(), 'infer');
    const frames = path.join(data, 'JPEGImages', '480p', seq);
    const code = await infer(['--run', runDir, '--frames', frames, '--first-mask', path.join(data, 'Annotations', '480p', seq, '00000.png'), '--out', out]);
    expect(code).toBe(0);
    expect(fs.readdirSync(path.join(out, 'masks')).length).toBe(fs.readdirSync(frames).length);
    expect(fs.readdirSync(path.join(out, 'overlays')).every((f) => f.endsWith('.jpg'))).toBe(true);
    const firstIds = new Set(readLabelPng(path.join(data, 'Annotations', '480p', seq, '00000.png')).data);
    for (const f of fs.readdirSync(path.join(out, 'masks'))) {
      // One-shot output only uses the ids of the given first mask.
      for (const id of new Set(readLabelPng(path.join(out, 'masks', f)).data)) expect(firstIds.has(id)).toBe(true);
    }
    await expect(infer(['--run', runDir, '--frames', frames, '--out', out])).rejects.toThrow(/one-shot model: pass --first-mask/);

    // Three paths to the same numbers on the held-out videos: the run's own final evaluation,
    // `rvos infer` per video then `rvos eval --results`, and `rvos eval --run`.
    const { run: evalCli } = await import('../../src/cli/commands/eval.js');
    const quiet = silence();
    try {
      const resultsA = path.join(tmp(), 'results-a');
      for (const name of fs
        .readFileSync(path.join(data, 'ImageSets', '2017', 'test.txt'), 'utf8')
        .trim()
        .split('\n')) {
        const o = path.join(tmp(), `infer-${name}`);
        await infer([
          '--run',
          runDir,
          '--frames',
          path.join(data, 'JPEGImages', '480p', name),
          '--first-mask',
          path.join(data, 'Annotations', '480p', name, '00000.png'),
          '--out',
          o,
        ]);
        fs.cpSync(path.join(o, 'masks'), path.join(resultsA, name), { recursive: true });
      }
      expect(await evalCli(['--dataset', 'davis2017', '--root', data, '--split', 'test', '--results', resultsA, '--task', 'semi_supervised'])).toBe(0);
      const outB = path.join(tmp(), 'eval-run');
      expect(await evalCli(['--run', runDir, '--out', outB])).toBe(0);
      for (const csv of ['global_results-semi-supervised.csv', 'per-sequence_results-semi-supervised.csv']) {
        const own = fs.readFileSync(path.join(runDir, 'eval', csv), 'utf8');
        expect(fs.readFileSync(path.join(resultsA, csv), 'utf8'), csv).toBe(own);
        expect(fs.readFileSync(path.join(outB, csv), 'utf8'), csv).toBe(own);
      }
      // Not vacuous: the model segments something of the given objects.
      expect(results.global['J-Mean']).toBeGreaterThan(0);
      const perFrame = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'results-semi-supervised.json'), 'utf8')).sequences;
      expect(perFrame(outB)).toEqual(perFrame(path.join(runDir, 'eval')));
      // The predicted label maps themselves are the same files.
      for (const name of fs.readdirSync(path.join(outB, 'predictions'))) {
        for (const f of fs.readdirSync(path.join(outB, 'predictions', name))) {
          expect(
            fs.readFileSync(path.join(outB, 'predictions', name, f)).equals(fs.readFileSync(path.join(runDir, 'predictions', name, f))),
            `${name}/${f}`,
          ).toBe(true);
        }
      }
      expect(fs.readdirSync(path.join(outB, 'overlays')).length).toBe(3);
      // --split val predicts the val videos instead (the run's data and lists).
      const outC = path.join(tmp(), 'eval-val');
      expect(await evalCli(['--run', runDir, '--split', 'val', '--out', outC])).toBe(0);
      const valNames = fs
        .readFileSync(path.join(data, 'ImageSets', '2017', 'val.txt'), 'utf8')
        .trim()
        .split('\n');
      expect(fs.readdirSync(path.join(outC, 'predictions')).sort()).toEqual([...valNames].sort());
      await expect(evalCli(['--run', runDir, '--results', resultsA, '--dataset', 'davis2017', '--root', data])).rejects.toThrow(
        /pass only one of --results, --run, --floor \(got --results and --run\)/,
      );
    } finally {
      quiet();
    }
  });

  it('zero-shot run reports the unsupervised protocol', async () => {
    const data = path.join(tmp(), 'synth');
    const runDir = path.join(tmp(), 'run');
    const results = await runTraining(tiny(data, ['model.mode=zero_shot']), { runDir, resume: false, log: () => undefined, progress: false });
    expect(results.task).toBe('unsupervised');
    // The run's numbers are those the official evaluator computes from the predictions it wrote.
    const official = await evaluateDavis({ root: data, results: path.join(runDir, 'predictions'), task: 'unsupervised', split: 'test' });
    expect(results.global).toEqual(official.global);
    expect(fs.readFileSync(path.join(runDir, 'eval', 'global_results-unsupervised.csv'), 'utf8')).toContain(`\n${formatFixed3(official.global['J&F-Mean'])},`);
    // Zero-shot ids are slot + 1: never above model.slots.
    for (const name of fs.readdirSync(path.join(runDir, 'predictions'))) {
      for (const f of fs.readdirSync(path.join(runDir, 'predictions', name)))
        expect(Math.max(...readLabelPng(path.join(runDir, 'predictions', name, f)).data)).toBeLessThanOrEqual(3);
    }
  });
});

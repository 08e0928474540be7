// The floors of a sweep on a small generated dataset: copy-first (at each video's own size) for one-shot, the better on validation of
// empty and motion blob for zero-shot, scored on the reported split; a sweep's floors.json.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { composeConfig, saveRunConfig } from '../../src/config/index.js';
import { computeFloor, floorKey, readSweepFloors, reportedSplit, writeSweepFloors } from '../../src/experiments/report/sweep_floors.js';
import { ensureSyntheticDataset, openSplit } from '../../src/experiments/run/datasets.js';
import type { SweepJobResult } from '../../src/experiments/report/sweep_results.js';
import { floorLabel } from '../../src/experiments/report/floor_check.js';
import { predictCopyFirst } from '../../src/experiments/run/floor.js';
import { evaluateDavis } from '../../src/eval/davis.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'rvos-floors-'));

function tiny(root: string, extra: string[] = []) {
  return composeConfig({
    configDir: 'configs',
    overrides: [
      'backend=wasm',
      `data.root=${root}`,
      'data.size=[32,32]',
      'data.synth.train_videos=3',
      'data.synth.val_videos=3',
      'data.synth.test_videos=3',
      'data.synth.frames=5',
      ...extra,
    ],
  });
}

describe('floors', () => {
  const root = path.join(tmp(), 'synth');

  it('one-shot: copy the first mask, per video on the reported split', async () => {
    const { config } = tiny(root, ['model.mode=one_shot']);
    await ensureSyntheticDataset(config.data);
    const before = tf.memory().numTensors;
    const floor = await computeFloor(config, 'semi_supervised');
    expect(tf.memory().numTensors).toBe(before);
    expect(floor.name).toBe('copy_first');
    expect(floor.split).toBe(reportedSplit(config));
    expect(floor.key).toBe(floorKey(config, 'semi_supervised'));
    const videos = (await openSplit(config.data, floor.split, 'semi_supervised', 'eval')).sequences.map((s) => s.name);
    expect(floor.perSequence.map((s) => s.name)).toEqual(videos);
    const jf = floor.perSequence.map((s) => s.jAndF);
    // The object-weighted global lies within the per-video range; copying is neither perfect nor empty on moving objects.
    expect(floor.global['J&F-Mean']).toBeGreaterThanOrEqual(Math.min(...jf) - 1e-12);
    expect(floor.global['J&F-Mean']).toBeLessThanOrEqual(Math.max(...jf) + 1e-12);
    expect(floor.global['J&F-Mean']).toBeGreaterThan(0.05);
    expect(floor.global['J&F-Mean']).toBeLessThan(1);
    for (const s of floor.perSequence) expect(s.jAndF).toBeCloseTo((s.j! + s.f!) / 2, 12);
    // The same floor as `rvos eval --floor copy_first`: its result folder scored by the official evaluation.
    const out = path.join(tmp(), 'floor');
    const dataset = await openSplit(config.data, floor.split, 'semi_supervised', 'eval');
    await predictCopyFirst(dataset.sequences, out, { write: () => true, isTTY: false });
    const official = await evaluateDavis({ root, results: out, task: 'semi_supervised', split: floor.split });
    expect(floor.global['J&F-Mean']).toBeCloseTo(official.global['J&F-Mean'], 12);
  }, 60_000);

  it('zero-shot: both candidates scored on validation, the better one reported', async () => {
    const { config } = tiny(root, ['model.mode=zero_shot']);
    const before = tf.memory().numTensors;
    const floor = await computeFloor(config, 'unsupervised');
    expect(tf.memory().numTensors).toBe(before);
    expect(floor.candidates!.map((c) => c.name)).toEqual(['empty', 'motion_blob']);
    const best = floor.candidates!.reduce((a, b) => (b.validation > a.validation ? b : a));
    expect(floor.name).toBe(best.name);
    // Moving synthetic objects: the motion blob finds something, and empty predictions score ~0.
    expect(floor.candidates![1]!.validation).toBeGreaterThan(floor.candidates![0]!.validation);
    expect(floor.global['J&F-Mean']).toBeGreaterThan(0);
    // The label says where the choice was made: the validation split, or the reported videos themselves when they are the same split.
    expect(floor.chosenOn).toBe(config.data.val_split);
    const label = floorLabel(floor);
    expect(label).toContain(
      floor.chosenOn === floor.split ? 'chosen on these same videos (no separate test split) over empty' : 'chosen on validation over empty',
    );
    expect(floorLabel({ ...floor, chosenOn: 'val', split: 'test' })).toBe('one blob of the camera-aligned frame difference, chosen on validation over empty');
  }, 60_000);

  it("a sweep's floors: one per (data, split, task) of its finished runs; a failing one is listed as missing", async () => {
    const sweep = tmp();
    const jobs: SweepJobResult[] = [];
    const add = (overrides: string[], task: 'semi_supervised' | 'unsupervised', seed: number) => {
      const runDir = path.join(sweep, String(jobs.length));
      saveRunConfig(runDir, tiny(root, [...overrides, `seed=${seed}`]));
      jobs.push({ index: jobs.length, overrides, runDir, status: 'ok', perObject: new Map(), results: { task, seed } as never });
    };
    add(['model.mode=one_shot'], 'semi_supervised', 1);
    add(['model.mode=one_shot'], 'semi_supervised', 2);
    add(['model.mode=zero_shot'], 'unsupervised', 1);
    add(['data.dataset=davis2017', `data.root=${path.join(sweep, 'nowhere')}`], 'semi_supervised', 1);
    const floors = await writeSweepFloors(sweep, jobs);
    expect(floors.floors.map((f) => [f.task, f.name])).toEqual([
      ['semi_supervised', 'copy_first'],
      ['unsupervised', floors.floors[1]!.name],
    ]);
    expect(floors.missing).toHaveLength(1);
    expect(floors.missing[0]!.reason).toContain('nowhere');
    expect(readSweepFloors(sweep)).toEqual(floors);
  }, 60_000);
});

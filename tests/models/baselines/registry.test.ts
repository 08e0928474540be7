import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { createBaseline, isBaselineFamily, loadBaseline, savedFamily } from '../../../src/models/baselines/index.js';
import { RVOSModel, saveModel } from '../../../src/models/index.js';
import { predictSequence } from '../../../src/eval/predictor.js';
import { evaluateModel } from '../../../src/experiments/run/evaluate_model.js';
import { memorySequence, synthesizeVideo } from '../../../src/data/index.js';
import { Rng } from '../../../src/utils/rng.js';
import { coreOf, MOBILE_PRIOR, probabilities, SIAMMASK } from './helpers.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
const tmp = (p: string) => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), p));
  dirs.push(d);
  return d;
};

describe('baseline families', () => {
  it('registry: families by name, config errors name the key, saved folders tell their family', async () => {
    expect(isBaselineFamily('siammask')).toBe(true);
    expect(isBaselineFamily('rvos')).toBe(false);
    expect(() => createBaseline({ family: 'mobile_prior', slots: 2, seed: 1 } as never)).toThrow(/model\.mobile_prior: settings are missing/);
    expect(() => createBaseline({ ...SIAMMASK, slots: 0 })).toThrow(/model\.slots/);
    expect(() => createBaseline({ family: 'nope', slots: 1, seed: 1 } as never)).toThrow(/model\.family: unknown family 'nope'/);
    const rvosDir = tmp('rvos-');
    const rvos = await RVOSModel.create({
      encoder: { name: 'light', pretrained: null },
      hidden: 8,
      slots: 2,
      recurrence: 'ST',
      mode: 'one_shot',
      objectness: false,
      seed: 1,
    });
    await saveModel(rvos, rvosDir);
    rvos.dispose();
    expect(savedFamily(rvosDir)).toBe('rvos');
    const copyDir = tmp('copy-');
    await createBaseline({ family: 'copy_first', slots: 2, seed: 1 }).save(copyDir);
    expect(savedFamily(copyDir)).toBe('copy_first');
    expect(loadBaseline(copyDir).namedVariables().size).toBe(0);
  });

  it('copy_first in the core repeats each given mask, late objects included, with flat memory', () => {
    const model = createBaseline({ family: 'copy_first', slots: 2, seed: 1 });
    const core = coreOf(model);
    const frame = tf.zeros([1, 2, 2, 3]) as tf.Tensor4D;
    const m0 = tf.tensor4d([1, 0, 0, 0, 0, 0, 0, 0], [1, 2, 2, 2]);
    // Object 2 enters at frame 2; its given mask also sets slot 0's channel, which must not be read.
    const m2 = tf.tensor4d([0, 0, 0, 1, 0, 1, 0, 0], [1, 2, 2, 2]);
    core.step(frame, { ids: [1], masks: m0 }).logits.dispose();
    const before = tf.memory().numTensors;
    expect(probabilities(core.step(frame)).map(Math.round)).toEqual([1, 0, 0, 0, 0, 0, 0, 0]);
    const p2 = core.step(frame, { ids: [2], masks: m2 });
    expect(p2.keep).toEqual([true, true]);
    expect(probabilities(p2).map(Math.round)).toEqual([1, 0, 0, 1, 0, 1, 0, 0]);
    expect(probabilities(core.step(frame)).map(Math.round)).toEqual([1, 0, 0, 1, 0, 1, 0, 0]);
    expect(tf.memory().numTensors).toBe(before);
    core.dispose();
    tf.dispose([frame, m0, m2]);
  });

  it('the evaluator scores every family on whole videos: copy_first is exact on a static video, trackers report only given objects', async () => {
    const v = synthesizeVideo(new Rng(4), { frames: 4, size: [48, 48], objects: [2, 2] });
    // A static video: the first frame and labels repeated, so copying the first mask is perfect.
    const copy = createBaseline({ family: 'copy_first', slots: 3, seed: 1 });
    const gtStill = memorySequence(
      'still',
      v.frames.map(() => v.frames[0]!),
      v.labels.map(() => v.labels[0]!),
    );
    const timing = { seconds: 0, cpuSeconds: 0, frames: 0 };
    const ev = await evaluateModel(coreOf(copy), [gtStill], { size: [48, 48], threshold: 0.5, task: 'semi_supervised', timing });
    expect(ev.global['J-Mean']).toBeCloseTo(1, 5);
    expect(timing.frames).toBe(4);
    expect(timing.cpuSeconds).toBeGreaterThan(0);
    const firstOnly = { ...v.labels[0]!, data: v.labels[0]!.data.map((id) => (id === 2 ? 2 : 0)) };
    const seq = memorySequence('s', v.frames, [firstOnly, null, null, null]);
    for (const config of [
      { ...MOBILE_PRIOR, slots: 3 },
      { ...SIAMMASK, slots: 3 },
    ]) {
      const model = createBaseline(config);
      const segmenter = coreOf(model);
      await predictSequence(segmenter, seq, { size: [48, 48], threshold: 0.5 });
      const before = tf.memory().numTensors;
      const { labels } = await predictSequence(segmenter, seq, { size: [48, 48], threshold: 0.0 });
      expect(tf.memory().numTensors).toBe(before);
      expect(labels).toHaveLength(4);
      expect(new Set(labels.flatMap((l) => [...l.data]).filter((id) => id !== 0))).toEqual(new Set([2]));
      segmenter.dispose();
      model.dispose();
    }
  });
});

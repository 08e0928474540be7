import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { composeConfig } from '../../../src/config/index.js';
import { runTraining } from '../../../src/experiments/run/run.js';
import { loadAnyModel } from '../../../src/experiments/run/model_family.js';
import { readLabelPng } from '../../../src/data/index.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'rvos-baseline-run-'));

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
      'data.synth.val_videos=2',
      'data.synth.test_videos=2',
      'data.synth.frames=5',
      'train.steps=3',
      'train.val_every=3',
      'train.ckpt_every=3',
      ...extra,
    ],
  });
}

describe('baseline runs', () => {
  it('mobile_prior and siammask train, save, evaluate and run in `rvos infer` (siammask from --box); copy_first skips training', async () => {
    const data = path.join(tmp(), 'synth');
    const { run: infer } = await import('../../../src/cli/commands/infer.js');
    for (const family of ['mobile_prior', 'siammask', 'copy_first'] as const) {
      const runDir = path.join(tmp(), family);
      const extra = [
        `model=${family}`,
        ...(family === 'siammask' ? ['model.siammask.template_size=16', 'model.siammask.channels=8', 'model.siammask.mask_size=8'] : []),
      ];
      const results = await runTraining(tiny(data, extra), { runDir, resume: false, log: () => undefined, progress: false });
      expect(results.task).toBe('semi_supervised');
      expect(results.family).toBe(family);
      expect(results.steps).toBe(family === 'copy_first' ? 0 : 3);
      expect(results.params! > 0).toBe(family !== 'copy_first');
      expect(results.cpuMsPerFrame!).toBeGreaterThan(0);
      // The model's steps alone: part of the whole prediction's CPU time (which also decodes frames).
      expect(results.modelCpuMsPerFrame!).toBeGreaterThan(0);
      expect(results.modelCpuMsPerFrame!).toBeLessThan(results.cpuMsPerFrame!);
      expect(Number.isFinite(results.global['J&F-Mean'])).toBe(true);
      const model = await loadAnyModel(path.join(runDir, 'model'));
      expect((model.config as { family?: string }).family).toBe(family);
      model.dispose();
      const seq = fs.readdirSync(path.join(data, 'JPEGImages', '480p'))[0]!;
      const frames = path.join(data, 'JPEGImages', '480p', seq);
      const out = path.join(tmp(), 'infer');
      const args = family === 'siammask' ? ['--box', '4,4,10,8'] : ['--first-mask', path.join(data, 'Annotations', '480p', seq, '00000.png')];
      expect(await infer(['--run', runDir, '--frames', frames, '--out', out, ...args])).toBe(0);
      const masks = fs.readdirSync(path.join(out, 'masks'));
      expect(masks.length).toBe(fs.readdirSync(frames).length);
      if (family === 'siammask') {
        // The box becomes object 1; frame 0's output is exactly the box.
        const first = readLabelPng(path.join(out, 'masks', masks.sort()[0]!));
        expect(first.data.reduce((n, v) => n + (v === 1 ? 1 : 0), 0)).toBe(80);
        for (const f of masks) for (const id of new Set(readLabelPng(path.join(out, 'masks', f)).data)) expect([0, 1]).toContain(id);
        await expect(infer(['--run', runDir, '--frames', frames, '--out', out, '--box', '1,2,3'])).rejects.toThrow(/--box must be x,y,w,h/);
      }
    }
    expect(tf.memory().numTensors).toBeLessThan(50);
  });

  it('baseline families are one-shot only: a zero-shot config fails before training, naming the key', async () => {
    const composed = tiny(path.join(tmp(), 'synth'), ['model=mobile_prior', 'model.mode=zero_shot']);
    await expect(runTraining(composed, { runDir: path.join(tmp(), 'run'), resume: false, log: () => undefined, progress: false })).rejects.toThrow(
      /model\.mode: the mobile_prior family is one-shot only/,
    );
  });
});

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { composeConfig } from '../../src/config/index.js';
import { experimentJobs } from '../../src/experiments/launch/experiment.js';
import { trainingStages } from '../../src/experiments/run/run.js';

const CONFIG_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../configs');

describe('named ablation experiments', () => {
  it('zero_vs_one_shot: both modes × seeds 1, 2, 3, on the small CPU setting (data=synthetic_small, train=cpu_small)', () => {
    const jobs = experimentJobs('zero_vs_one_shot', CONFIG_DIR, []);
    const [ours, main, small, smallData] = [jobs[0]!, ['experiment=main'], ['train=cpu_small'], ['data=synthetic_small']].map(
      (o) => composeConfig({ configDir: CONFIG_DIR, overrides: o }).config,
    );
    expect(ours!.data).toEqual(smallData!.data);
    expect(ours!.train).toEqual(small!.train);
    // The main job trains longer on the varied data (held-out split from other settings), with the motion input on.
    expect(main!.data.synth.variety).not.toBeNull();
    expect(main!.model.slots).toBe(main!.data.synth.objects[1]);
    expect(main!.train).toEqual({ ...small!.train, steps: 3000, lr_schedule: 'cosine', val_every: 500, ckpt_every: 500 });
    expect([main!.model.motion_input, ours!.model.motion_input]).toEqual([true, false]);
    expect([main!.model.first_frame_motion, ours!.model.first_frame_motion]).toEqual(['next', 'zero']);
    expect(jobs.map((j) => j.slice(1).join(' '))).toEqual(['zero_shot', 'one_shot'].flatMap((m) => [1, 2, 3].map((s) => `model.mode=${m} seed=${s}`)));
  });

  it('recurrence: sweep.variants S, T, ST, ST+ × 3 seeds, one-shot; ST+ trains gt_prev then pred_prev with the same total steps', () => {
    const jobs = experimentJobs('recurrence', CONFIG_DIR, []);
    expect(jobs).toHaveLength(12);
    const configs = jobs.map((overrides) => composeConfig({ configDir: CONFIG_DIR, overrides }).config);
    expect(configs.map((c) => `${c.run.name}:${c.model.recurrence}:${c.seed}`)).toEqual(
      ['S', 'T', 'ST', 'ST+'].flatMap((n) => [1, 2, 3].map((s) => `${n}:${n === 'ST+' ? 'ST' : n}:${s}`)),
    );
    expect(configs.every((c) => c.model.mode === 'one_shot')).toBe(true);
    const plus = configs.find((c) => c.run.name === 'ST+')!;
    expect(plus.train.stages).toBe('st_plus');
    expect(trainingStages(plus).map((s) => s.steps)).toEqual([300, 300]);
    for (const n of ['S', 'T', 'ST']) expect(configs.find((c) => c.run.name === n)!.train.stages).toBeNull();
    expect(configs.every((c) => c.train.steps === 600)).toBe(true);
  });

  it('matching_inputs: none / global / local / both × both modes × 3 seeds', () => {
    const jobs = experimentJobs('matching_inputs', CONFIG_DIR, []);
    expect(jobs).toHaveLength(24);
    const configs = jobs.map((overrides) => composeConfig({ configDir: CONFIG_DIR, overrides }).config);
    const seen = new Set(configs.map((c) => `${c.run.name}|${c.model.inputs.join('+')}|${c.model.mode}`));
    expect(seen.size).toBe(8);
    expect(seen).toContain('both|prev_mask+global_matching+local_matching|zero_shot');
    expect(seen).toContain('none|prev_mask|one_shot');
  });

  it('command-line overrides apply to every variant job, after the experiment and before the variant bundle', () => {
    const jobs = experimentJobs('recurrence', CONFIG_DIR, ['train.steps=20']);
    expect(jobs[0]!.slice(0, 4)).toEqual(['experiment=recurrence', 'train.steps=20', 'run.name=S', 'model.recurrence=S']);
    const plus = composeConfig({ configDir: CONFIG_DIR, overrides: jobs[jobs.length - 1]! }).config;
    expect(trainingStages(plus).map((s) => s.steps)).toEqual([10, 10]);
  });

  it('recurrence_zero_shot: S, T, ST × 3 seeds, zero-shot, one training stage', () => {
    const configs = experimentJobs('recurrence_zero_shot', CONFIG_DIR, []).map((overrides) => composeConfig({ configDir: CONFIG_DIR, overrides }).config);
    expect(configs.map((c) => `${c.run.name}:${c.model.recurrence}:${c.seed}`)).toEqual(
      ['S', 'T', 'ST'].flatMap((n) => [1, 2, 3].map((s) => `${n}:${n}:${s}`)),
    );
    expect(configs.every((c) => c.model.mode === 'zero_shot' && c.train.stages === null)).toBe(true);
    expect(configs[0]!.report.baseline).toBe('ST');
  });

  it('a command-line key replaces the config axis for it (seed=7 runs one seed; seed=1,2,3,4 four)', () => {
    expect(experimentJobs('zero_vs_one_shot', CONFIG_DIR, ['seed=7']).map((j) => j.slice(1).join(' '))).toEqual([
      'seed=7 model.mode=zero_shot',
      'seed=7 model.mode=one_shot',
    ]);
    const four = experimentJobs('recurrence', CONFIG_DIR, ['seed=1,2,3,4']);
    expect(four).toHaveLength(16);
    expect(four.every((j) => j.filter((o) => o.startsWith('seed=')).length === 1)).toBe(true);
  });
});

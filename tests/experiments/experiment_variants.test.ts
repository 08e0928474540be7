import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { composeConfig, configDifferences } from '../../src/config/index.js';
import { REUSE_IGNORED } from '../../src/experiments/launch/reuse_runs.js';
import { experimentJobs } from '../../src/experiments/launch/experiment.js';
import { trainingStages } from '../../src/experiments/run/run.js';

const CONFIG_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../configs');

describe('named ablation experiments', () => {
  it("every synthetic experiment trains on the main job's data and budget (one budget for every family); zero_vs_one_shot is one model in both modes", () => {
    const compose = (overrides: string[]) => composeConfig({ configDir: CONFIG_DIR, overrides }).config;
    const [main, small] = [['experiment=main'], ['train=cpu_small']].map(compose);
    expect(main!.data.synth.variety).not.toBeNull();
    expect(main!.data.synth.train_videos).toBe(1000);
    expect(main!.model.slots).toBe(main!.data.synth.objects[1]);
    // The main job's zero-shot run trains in one stage (chosen on validation); its one-shot variant keeps ST+.
    expect(main!.train).toEqual({ ...small!.train, steps: 4000, lr_schedule: 'cosine', val_every: 500, ckpt_every: 500, stages: null });
    for (const name of ['zero_vs_one_shot', 'recurrence', 'recurrence_zero_shot', 'matching_inputs', 'baselines']) {
      const configs = experimentJobs(name, CONFIG_DIR, []).map(compose);
      for (const c of configs) {
        expect(c.data, name).toEqual(main!.data);
        expect({ ...c.train, stages: null }, name).toEqual({ ...main!.train, stages: null });
        // The RVOS variants see the main job's motion input (the baseline families ignore it).
        expect([c.model.motion_input, c.model.first_frame_motion], name).toEqual([true, 'next']);
      }
      expect(new Set(configs.map((c) => c.seed)), name).toEqual(new Set([1, 2, 3, 4, 5]));
    }
    // zero_vs_one_shot: one RVOS model (RVOS's inputs, the main job's motion input) in both modes.
    const jobs = experimentJobs('zero_vs_one_shot', CONFIG_DIR, []);
    expect(jobs.map((j) => j.slice(1).join(' '))).toEqual(['zero_shot', 'one_shot'].flatMap((m) => [1, 2, 3, 4, 5].map((s) => `model.mode=${m} seed=${s}`)));
    const [zeroShot, oneShot] = [jobs[0]!, jobs[5]!].map(compose);
    expect([zeroShot!.model.inputs, oneShot!.model.inputs]).toEqual([['prev_mask'], ['prev_mask']]);
    expect({ ...zeroShot!.model, mode: 'one_shot' }).toEqual(oneShot!.model);
  });

  it("the RVOS rows of the baselines and the recurrence ablations are the main job's runs, seed by seed (so --reuse fills them)", () => {
    const compose = (overrides: string[]) => composeConfig({ configDir: CONFIG_DIR, overrides }).config;
    const byName = (name: string, extra: string[] = []) =>
      new Map(experimentJobs(name, CONFIG_DIR, extra).map((o) => [`${o.find((x) => x.startsWith('run.name='))}:${compose(o).seed}`, compose(o)]));
    const main = byName('main', ['seed=1,2,3,4,5']);
    const pairs: [Map<string, ReturnType<typeof compose>>, string, string][] = [
      [byName('baselines'), 'rvos_one_shot_ST+', 'one_shot'],
      [byName('baselines'), 'rvos_zero_shot', 'zero_shot'],
      [byName('recurrence'), 'ST+', 'one_shot'],
      [byName('recurrence_zero_shot'), 'S', 'zero_shot'],
    ];
    for (const [jobs, name, mainName] of pairs) {
      for (const seed of [1, 2, 3, 4, 5]) {
        const [a, b] = [jobs.get(`run.name=${name}:${seed}`), main.get(`run.name=${mainName}:${seed}`)];
        expect(a && b && configDifferences(a, b, REUSE_IGNORED), `${name} seed ${seed}`).toEqual([]);
      }
    }
  });

  it('recurrence: sweep.variants S, T, ST, ST+ × 5 seeds, one-shot; ST+ trains gt_prev then pred_prev with the same total steps', () => {
    const jobs = experimentJobs('recurrence', CONFIG_DIR, []);
    expect(jobs).toHaveLength(20);
    const configs = jobs.map((overrides) => composeConfig({ configDir: CONFIG_DIR, overrides }).config);
    expect(configs.map((c) => `${c.run.name}:${c.model.recurrence}:${c.seed}`)).toEqual(
      ['S', 'T', 'ST', 'ST+'].flatMap((n) => [1, 2, 3, 4, 5].map((s) => `${n}:${n === 'ST+' ? 'ST' : n}:${s}`)),
    );
    expect(configs.every((c) => c.model.mode === 'one_shot')).toBe(true);
    const plus = configs.find((c) => c.run.name === 'ST+')!;
    expect(plus.train.stages).toBe('st_plus');
    expect(trainingStages(plus).map((s) => s.steps)).toEqual([2000, 2000]);
    for (const n of ['S', 'T', 'ST']) expect(configs.find((c) => c.run.name === n)!.train.stages).toBeNull();
    expect(configs.every((c) => c.train.steps === 4000 && c.model.inputs.join() === 'prev_mask')).toBe(true);
  });

  it('matching_inputs: none / global / local / both × both modes × 5 seeds', () => {
    const jobs = experimentJobs('matching_inputs', CONFIG_DIR, []);
    expect(jobs).toHaveLength(40);
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

  it('recurrence_zero_shot: S, T, ST × 5 seeds, zero-shot, one training stage, no slot canvas (a slot-to-slot path beside the recurrence)', () => {
    const configs = experimentJobs('recurrence_zero_shot', CONFIG_DIR, []).map((overrides) => composeConfig({ configDir: CONFIG_DIR, overrides }).config);
    expect(configs.map((c) => `${c.run.name}:${c.model.recurrence}:${c.seed}`)).toEqual(
      ['S', 'T', 'ST'].flatMap((n) => [1, 2, 3, 4, 5].map((s) => `${n}:${n}:${s}`)),
    );
    expect(configs.every((c) => c.model.mode === 'zero_shot' && c.train.stages === null)).toBe(true);
    expect(configs.every((c) => !c.model.inputs.includes('slot_canvas') && c.model.inputs.includes('foreground'))).toBe(true);
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

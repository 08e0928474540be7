// Composition of the repo's configs/: defaults, group choices, every override form, value parsing.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/utils/errors.js';
import { composeConfig } from '../../src/config/index.js';
import { copyConfigs, errorOf, REPO_CONFIGS } from './helpers.js';

const compose = (...overrides: string[]) => composeConfig({ configDir: REPO_CONFIGS, overrides });

describe('composeConfig on configs/', () => {
  it('composes the documented defaults', () => {
    const { config, choices } = compose();
    expect(choices).toEqual({ model: 'small', encoder: 'light', data: 'synthetic', train: 'default', eval: 'default', launcher: 'basic' });
    expect(config.seed).toBe(123);
    expect(config.backend).toBe('auto');
    expect(config.run).toEqual({ root: 'results', name: null });
    expect(config.model).toEqual({
      hidden: 32,
      slots: 10,
      recurrence: 'ST',
      mode: 'zero_shot',
      objectness: true,
      motion_input: false,
      first_frame_motion: 'zero',
      motion_alignment: 'none',
      inputs: ['prev_mask'],
      matching: { embedding_dim: 100, local_radius: 'auto', max_reference: 1024 },
      family: 'rvos',
      mobile_prior: null,
      siammask: null,
      feature_propagation: null,
    });
    expect(config.encoder).toEqual({ name: 'light', pretrained: null, freeze_batch_norm: false, width_multiplier: 1, freeze: 'none', output_stride: 32 });
    expect(config.data.size).toEqual([96, 96]);
    expect(config.data.augment?.zoom).toEqual([0.7, 1.4]);
    expect(config.data.synth).toEqual({
      train_videos: 50,
      val_videos: 10,
      test_videos: 10,
      frames: 12,
      objects: [1, 3],
      seed: 7,
      difficulty: 'default',
      variety: null,
      photos: null,
      photo_effects: {},
    });
    expect(config.data.prior_mask).toBe(false);
    expect(config.sweep).toMatchObject({ params: {} });
    expect(config.train.lr).toBe(1e-3);
    expect(config.train.weight_decay).toBe(1e-6);
    expect(config.train.stages).toBeNull();
    expect(config.launcher).toEqual({ name: 'basic', jobs: 1 });
  });

  it('every shipped group option composes', () => {
    const options: Record<string, string[]> = {
      model: ['rvos', 'small'],
      encoder: ['light', 'resnet18', 'resnet34', 'resnet50', 'resnet101', 'mobilenetv2'],
      data: ['synthetic', 'davis2016', 'davis2017', 'youtube_vos'],
      train: ['default', 'quick'],
      launcher: ['basic', 'local'],
    };
    for (const [group, names] of Object.entries(options)) {
      for (const name of names) expect(compose(`${group}=${name}`).choices[group]).toBe(name);
    }
    expect(compose('model=rvos').config.model).toMatchObject({ hidden: 128, objectness: false, recurrence: 'ST' });
    expect(compose('encoder=resnet101').config.encoder.name).toBe('resnet101');
    expect(compose('data=davis2017').config.data).toMatchObject({ dataset: 'davis2017', size: [240, 427], clip_length: 5 });
    expect(compose('data=davis2016').config.data).toMatchObject({ dataset: 'davis2016', split: 'train', val_split: 'val', max_objects: 1 });
    expect(compose('train=quick').config.train.steps).toBe(20);
    expect(compose('data=frames', 'data.root=my/frames').config.data).toMatchObject({ dataset: 'frames', root: 'my/frames', augment: null });
  });

  it('records where each value came from', () => {
    const composed = compose('train.steps=7');
    expect(composed.sourceOf('model.hidden')).toBe('configs/model/small.yaml:4');
    expect(composed.sourceOf('train.steps')).toBe("command-line override 'train.steps=7'");
  });

  it('a.b=v changes a key, parsing YAML scalars and lists', () => {
    const { config } = compose('train.steps=5', 'train.lr=2e-4', 'model.objectness=false', 'run.name=exp1', 'data.size=[64,80]', 'train.grad_clip=null');
    expect(config.train.steps).toBe(5);
    expect(config.train.lr).toBe(2e-4);
    expect(config.model.objectness).toBe(false);
    expect(config.run.name).toBe('exp1');
    expect(config.data.size).toEqual([64, 80]);
    expect(config.train.grad_clip).toBeNull();
  });

  it('values: quotes make strings, flow maps in Hydra style, list items by index', () => {
    expect(compose("run.name='123'").config.run.name).toBe('123');
    expect(compose('run.name="a,b"').config.run.name).toBe('a,b');
    expect(compose('train.stages=[{name:gt_prev,steps:3},{name: pred_prev, steps: 4}]').config.train.stages).toEqual([
      { name: 'gt_prev', steps: 3 },
      { name: 'pred_prev', steps: 4 },
    ]);
    expect(compose('data.size.1=128').config.data.size).toEqual([96, 128]);
    expect(compose('model.inputs=[prev_mask,local_matching]').config.model.inputs).toEqual(['prev_mask', 'local_matching']);
  });

  it('a.b=v on a key that does not exist fails and suggests the close key and +', () => {
    const err = errorOf(() => compose('model.hiden=64'));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain("'model.hiden'");
    expect(err.message).toContain("Did you mean 'model.hidden'?");
    expect(err.message).toContain('+model.hiden=64');
  });

  it('+a.b=v adds, and fails when the key exists', () => {
    expect(errorOf(() => compose('+train.steps=3')).message).toMatch(/already exists \(set at configs\/train\/default\.yaml:1\)/);
    // Adding is allowed, but the strict schema then rejects the unknown key, naming the override.
    const err = errorOf(() => compose('+model.dropout=0.1'));
    expect(err.message).toContain("model.dropout (command-line override '+model.dropout=0.1'): unknown key");
  });

  it('++a.b=v adds or overrides', () => {
    expect(compose('++train.steps=3').config.train.steps).toBe(3);
    expect(compose('++run.name=x').config.run.name).toBe('x');
  });

  it('~a.b deletes (the schema then reports the missing key); ~a.b=v checks the value first', () => {
    const err = errorOf(() => compose('~train.patience'));
    expect(err.message).toContain("train.patience: required key is missing in 'train' (configs/train/default.yaml:1)");
    expect(errorOf(() => compose('~train.patience=3')).message).toContain('its value is 10, not 3');
    expect(errorOf(() => compose('~train.nothing')).message).toContain("Could not delete 'train.nothing'");
  });

  it('a comma list outside -m is rejected as an ambiguous sweep', () => {
    expect(errorOf(() => compose('seed=1,2')).message).toContain('-m/--multirun');
  });

  it('an experiment file overrides group choices and keys (Hydra experiment pattern)', () => {
    const experiment = [
      '# @package _global_',
      'defaults:',
      '  - override /model: rvos',
      '  - override /train: quick',
      'model:',
      '  mode: one_shot',
      'train:',
      '  stages: [{name: gt_prev, steps: 10}, {name: pred_prev, steps: 10}]',
      '',
    ].join('\n');
    const configDir = copyConfigs({ 'experiment/st_plus.yaml': experiment });
    const { config, choices } = composeConfig({ configDir, overrides: ['experiment=st_plus', 'seed=5'] });
    expect(choices).toMatchObject({ model: 'rvos', train: 'quick', experiment: 'st_plus' });
    expect(config.model).toMatchObject({ hidden: 128, mode: 'one_shot', objectness: false });
    expect(config.train.steps).toBe(20);
    expect(config.train.stages).toEqual([
      { name: 'gt_prev', steps: 10 },
      { name: 'pred_prev', steps: 10 },
    ]);
    expect(config.seed).toBe(5);
  });
});

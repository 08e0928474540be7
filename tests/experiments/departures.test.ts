import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { composeConfig, saveRunConfig } from '../../src/config/index.js';
import { departureNames, departuresMarkdown, rvosDepartures } from '../../src/experiments/report/departures.js';
import { experimentJobs } from '../../src/experiments/launch/experiment.js';
import type { SweepJobResult } from '../../src/experiments/report/sweep_results.js';

const compose = (...overrides: string[]) => composeConfig({ configDir: 'configs', overrides });
const names = (...overrides: string[]) => rvosDepartures(compose(...overrides).config).map((d) => d.name);

describe('departures from RVOS', () => {
  it('model=rvos with train=default keeps RVOS decoder, losses and optimiser: only the CPU encoder, its lr and the data differ', () => {
    expect(names('model=rvos', 'data=davis2017')).toEqual(['encoder', 'encoder from scratch', 'encoder learning rate']);
    expect(names('model=rvos', 'data=davis2017', 'encoder=resnet101', 'train.encoder_lr=1e-6')).toEqual(['encoder from scratch']);
  });

  it('names every lever of the main job, per mode', () => {
    // The main job's own runs, as `rvos main` composes them.
    const [zero, one] = experimentJobs('main', 'configs', []).map((job) => names(...job));
    for (const n of [
      'objectness head',
      'empty-slot loss',
      'motion input',
      'recurrence',
      'foreground head',
      'hidden width',
      'slots',
      'encoder',
      'lr schedule',
      'clip length',
    ])
      expect(zero, n).toContain(n);
    // Zero-shot recurs slot to slot only (S, chosen on validation); one-shot keeps RVOS's ST and has no zero-shot inputs.
    expect(zero).not.toContain('slot canvas');
    expect(one).not.toContain('recurrence');
    expect(one).not.toContain('foreground head');
    expect(one).toContain('objectness head');
  });

  it('labels a frozen or truncated encoder', () => {
    expect(names('model=rvos', 'encoder=mobilenetv2', 'encoder.pretrained=nsfwjs')).not.toContain('frozen encoder');
    const frozen = rvosDepartures(
      compose('model=rvos', 'encoder=mobilenetv2', 'encoder.pretrained=nsfwjs', 'encoder.freeze=2', 'encoder.output_stride=16').config,
    );
    expect(frozen.find((d) => d.name === 'frozen encoder')?.setting).toBe('encoder.freeze=2');
    expect(frozen.find((d) => d.name === 'truncated encoder')?.setting).toBe('encoder.output_stride=16');
  });

  it('labels T_no_spatial and baselines', () => {
    expect(names('model=rvos', 'model.recurrence=T')).not.toContain('T without frame-0 spatial state');
    expect(names('model=rvos', 'model.recurrence=T')).toContain('recurrence');
    expect(names('model=rvos', 'model.recurrence=ST')).not.toContain('recurrence');
    expect(names('model=rvos', 'model.recurrence=T_no_spatial')).toContain('T without frame-0 spatial state');
    expect(departureNames(compose('model=copy_first').config)).toMatch(/another method/);
  });

  it('the report section lists each variant from its saved config', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rvos-dep-'));
    const job = (i: number, overrides: string[]): SweepJobResult => {
      const runDir = path.join(root, String(i));
      saveRunConfig(runDir, compose(...overrides));
      return { index: i, overrides, runDir, status: 'ok', perObject: new Map() } as SweepJobResult;
    };
    const variants = [{ jobs: [job(0, ['model=rvos', 'data=davis2017'])] }, { jobs: [job(1, ['model=small'])] }];
    const md = departuresMarkdown(variants, (v) => (v === variants[0] ? 'rvos' : 'small'));
    expect(md.split('\n')[0]).toBe('## Departures from RVOS');
    expect(md).toContain('- rvos: encoder (`encoder.name=light`; RVOS: ResNet-101); encoder from scratch (`encoder.pretrained=null`; RVOS: ImageNet weights)');
    expect(md).toMatch(/- small: objectness head \(`model\.objectness=true`; RVOS: none\)/);
    expect(
      departuresMarkdown(
        [{ jobs: [{ index: 0, overrides: [], runDir: path.join(root, 'none'), status: 'failed', perObject: new Map() } as SweepJobResult] }],
        () => 'x',
      ),
    ).toBe('');
  });
});

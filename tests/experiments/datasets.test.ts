import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { composeConfig } from '../../src/config/index.js';
import { checkSplits, ensureSyntheticDataset, openSplit } from '../../src/experiments/run/datasets.js';
import type { VideoDataset } from '../../src/data/index.js';
import { ConfigError } from '../../src/utils/errors.js';

function dataConfig(root: string, extra: string[] = []) {
  return composeConfig({
    configDir: 'configs',
    overrides: [
      `data.root=${root}`,
      'data.size=[24,24]',
      'data.synth.train_videos=2',
      'data.synth.val_videos=1',
      'data.synth.test_videos=1',
      'data.synth.frames=3',
      ...extra,
    ],
  }).config.data;
}

describe('synthetic dataset on first use', () => {
  it('generates once, re-uses with the same settings, refuses different ones', async () => {
    const root = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rvos-ds-')), 'synth');
    expect(await ensureSyntheticDataset(dataConfig(root))).toBe(true);
    const stamp = fs.statSync(path.join(root, 'synth.json')).mtimeMs;
    expect(await ensureSyntheticDataset(dataConfig(root))).toBe(false);
    expect(fs.statSync(path.join(root, 'synth.json')).mtimeMs).toBe(stamp);
    await expect(ensureSyntheticDataset(dataConfig(root, ['data.synth.frames=4']))).rejects.toThrow(ConfigError);
    await expect(ensureSyntheticDataset(dataConfig(root, ['data.synth.difficulty=easy']))).rejects.toThrow(/different difficulty/);
    const train = await openSplit(dataConfig(root), 'train', 'semi_supervised', 'train');
    const val = await openSplit(dataConfig(root), 'val', 'unsupervised', 'eval');
    expect(train.sequences.length).toBe(2);
    expect(val.sequences.length).toBe(1);
  });
});

describe('training stages', () => {
  it('scales relative stage lengths to train.steps, the last stage taking the remainder', async () => {
    const { trainingStages } = await import('../../src/experiments/run/run.js');
    const config = composeConfig({ configDir: 'configs', overrides: ['train=cpu_small', 'train.steps=51'] }).config;
    expect(config.train.stages).toBe('st_plus');
    expect(trainingStages(config)).toEqual([
      { name: 'gt_prev', steps: 26, previousMask: 'gt_prev' },
      { name: 'pred_prev', steps: 25, previousMask: 'pred_prev' },
    ]);
    const listed = composeConfig({
      configDir: 'configs',
      overrides: ['train.steps=50', 'train.stages=[{name:gt_prev,steps:1},{name:pred_prev,steps:2}]'],
    }).config;
    expect(trainingStages(listed).map((s) => s.steps)).toEqual([17, 33]);
    const plain = composeConfig({ configDir: 'configs', overrides: ['train.steps=7'] }).config;
    expect(trainingStages(plain)).toEqual([{ name: 'train', steps: 7, previousMask: 'gt_prev' }]);
  });
});

describe('checkSplits', () => {
  const sets = (train: string[], val: string[], test: string[]) => {
    const ds = (names: string[]) => ({ sequences: names.map((name) => ({ name })) }) as unknown as VideoDataset;
    return { train: ds(train), val: ds(val), test: ds(test) };
  };
  it('refuses a test split that shares videos with training and warns when val is the test split', () => {
    const data = dataConfig('/nowhere');
    const warnings: string[] = [];
    checkSplits(data, sets(['a', 'b'], ['c'], ['d']), (l) => warnings.push(l));
    expect(warnings).toEqual([]);
    expect(() => checkSplits(data, sets(['a', 'b'], ['c'], ['b', 'd']), () => undefined)).toThrow(
      /data\.test_split=test shares 1 video\(s\) with data\.split=train \(b\)/,
    );
    checkSplits({ ...data, val_split: 'test' }, sets(['a'], ['a', 'd'], ['d']), (l) => warnings.push(l));
    expect(warnings).toHaveLength(2);
    expect(warnings[1]).toMatch(/data\.val_split and data\.test_split are both 'test'/);
  });
});

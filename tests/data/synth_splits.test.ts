/**
 * The split protocol of the synthetic data (docs/protocol.md): val and test videos are the same
 * whatever the training count, share no random stream with any training video of a dataset made
 * with the same seed, and (varied generator) share no frame size, shape or texture with training.
 * The `seen` split (held-out videos of the training setting) has streams of its own and leaves every
 * other video as it was.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { composeConfig } from '../../src/config/index.js';
import { readRgbImage } from '../../src/data/image_io.js';
import { generateSyntheticDataset, synthVideoPlan, type SynthVideoPlan } from '../../src/data/synth/dataset.js';
import { settingOverlap, type SynthVariety } from '../../src/data/synth/options.js';
import { removeDir, tempDir } from './helpers.js';

const dir = tempDir();
afterAll(() => removeDir(dir));

/** Held-out videos of `heldOut` whose stream a training video of `training` also uses. */
function sharedStreams(heldOut: SynthVideoPlan[], training: SynthVideoPlan[]): string[] {
  const trainSeeds = new Map(training.filter((v) => v.split === 'train').map((v) => [v.seed, v.name]));
  return heldOut.filter((v) => v.split !== 'train' && trainSeeds.has(v.seed)).map((v) => `${v.name} ~ ${trainSeeds.get(v.seed)}`);
}

/** The scheme before the splits: video i of `videos` had seed mix(seed, i), the last `val` held out. */
function schemeBeforeSplits(seed: number, videos: number, val: number): SynthVideoPlan[] {
  return Array.from({ length: videos }, (_, i) => ({
    split: i < videos - val ? ('train' as const) : ('val' as const),
    index: i,
    name: `synth-${i}`,
    seed: (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca6b)) >>> 0,
    setting: null,
  }));
}

function folderHash(root: string, name: string): string {
  const h = crypto.createHash('sha256');
  for (const sub of ['JPEGImages', 'Annotations']) {
    const d = path.join(root, sub, '480p', name);
    for (const f of fs.readdirSync(d).sort()) h.update(fs.readFileSync(path.join(d, f)));
  }
  return h.digest('hex');
}

function synthOf(overrides: string[]) {
  const s = composeConfig({ configDir: 'configs', overrides }).config.data.synth;
  return { seed: s.seed, trainVideos: s.train_videos, valVideos: s.val_videos, testVideos: s.test_videos };
}

describe('synthetic splits', () => {
  it('the stream check catches the leak of the scheme before the splits (130- and 1030-video datasets, seed 7)', () => {
    // Held-out videos 100-129 of the 130-video dataset = training videos 100-129 of the 1030-video one.
    expect(sharedStreams(schemeBeforeSplits(7, 130, 30), schemeBeforeSplits(7, 1030, 30))).toHaveLength(30);
  });

  it('no val or test video of the shipped datasets shares a stream with a training video of any size', () => {
    const configs = [['data=synthetic_small'], ['data=synthetic_varied'], ['experiment=main']].map(synthOf);
    for (const c of configs) {
      // Training video i has the same stream in every dataset of this seed, so the largest
      // training set contains every smaller one's streams.
      const everyTraining = synthVideoPlan({ ...c, trainVideos: 200_000, valVideos: 0, testVideos: 0 });
      const plan = synthVideoPlan(c);
      expect(plan.filter((v) => v.split === 'test')).toHaveLength(c.testVideos);
      expect(sharedStreams(plan, everyTraining)).toEqual([]);
      // Val and test do not share streams with each other either.
      const seeds = plan.map((v) => v.seed);
      expect(new Set(seeds).size).toBe(seeds.length);
    }
    // The main job's 1000-video dataset and synthetic_varied's 100-video one hold the same val and test videos.
    const [, varied, main] = configs;
    const heldOut = (c: typeof main) => synthVideoPlan(c!).filter((v) => v.split !== 'train');
    expect(heldOut(main)).toEqual(heldOut(varied));
  });

  it('held-out videos are byte-identical whatever the training count, and none equals a training video', async () => {
    const base = { frames: 3, size: [32, 32] as [number, number], objects: [1, 3] as [number, number], seed: 7, valVideos: 2, testVideos: 2 };
    const small = path.join(dir, 'small');
    const large = path.join(dir, 'large');
    await generateSyntheticDataset({ ...base, out: small, trainVideos: 3 });
    await generateSyntheticDataset({ ...base, out: large, trainVideos: 8 });
    const names = (root: string, split: string) => fs.readFileSync(path.join(root, 'ImageSets', '2017', `${split}.txt`), 'utf8').trim().split('\n');
    for (const split of ['val', 'test']) {
      expect(names(small, split)).toEqual(names(large, split));
      for (const n of names(small, split)) expect(folderHash(small, n)).toBe(folderHash(large, n));
    }
    for (const n of names(small, 'train')) expect(folderHash(small, n)).toBe(folderHash(large, n));
    // Same options and a shared stream would give identical pixels (the old leak): none may.
    const trainHashes = new Set(names(large, 'train').map((n) => folderHash(large, n)));
    for (const split of ['val', 'test']) for (const n of names(large, split)) expect(trainHashes.has(folderHash(large, n)), n).toBe(false);
  });

  it('the varied setting of the main job shares no size, shape or texture between training and held-out videos', () => {
    const variety = composeConfig({ configDir: 'configs', overrides: ['experiment=main'] }).config.data.synth.variety!;
    expect(settingOverlap(variety.train as SynthVariety['train'], variety.held_out as SynthVariety['held_out'])).toEqual([]);
    expect(variety.train.sizes.length).toBeGreaterThan(0);
  });

  it('refuses a held-out setting that shares a size, shape or texture with training', async () => {
    const variety: SynthVariety = {
      train: { sizes: [[32, 32]], shapes: ['ellipse'], textures: ['flat'] },
      held_out: { sizes: [[32, 32], [40, 40]], shapes: ['star'], textures: ['flat', 'rings'] },
    };
    const opts = { out: path.join(dir, 'bad'), trainVideos: 1, valVideos: 1, testVideos: 1, frames: 2, size: [32, 32] as [number, number], objects: [1, 1] as [number, number], seed: 1, variety };
    await expect(generateSyntheticDataset(opts)).rejects.toThrow(/variety\.held_out shares size 32x32, texture flat with variety\.train/);
  });

  it('every test video of a varied dataset comes from the held-out setting', async () => {
    const variety: SynthVariety = {
      train: { sizes: [[32, 32], [32, 48]], shapes: ['ellipse'], textures: ['flat'] },
      held_out: { sizes: [[40, 40]], shapes: ['star'], textures: ['rings'] },
    };
    const out = path.join(dir, 'varied');
    const summary = await generateSyntheticDataset({ out, trainVideos: 3, valVideos: 1, testVideos: 2, frames: 2, size: [32, 32], objects: [1, 2], seed: 3, variety });
    expect(summary.test).toEqual(['synth-test-0000', 'synth-test-0001']);
    for (const n of [...summary.val, ...summary.test]) expect(fs.readdirSync(path.join(out, 'JPEGImages', '480p', n))).toHaveLength(2);
    const plan = synthVideoPlan({ trainVideos: 3, valVideos: 1, testVideos: 2, seed: 3, variety });
    expect(plan.filter((v) => v.split !== 'train').every((v) => v.setting === 'held_out')).toBe(true);
    expect(plan.filter((v) => v.split === 'train').every((v) => v.setting === 'train')).toBe(true);
  });

  it('no seen video of the shipped datasets shares a stream with a train, val or test video', () => {
    for (const c of [['data=synthetic_small'], ['data=synthetic_varied'], ['experiment=main']].map(synthOf)) {
      const everyTraining = synthVideoPlan({ ...c, trainVideos: 200_000, valVideos: 0, testVideos: 0 });
      const plan = synthVideoPlan({ ...c, seenVideos: 1000 });
      const seen = plan.filter((v) => v.split === 'seen');
      expect(seen).toHaveLength(1000);
      expect(seen[0]!.name).toBe('synth-seen-0000');
      // Against every training video of any size, and against this dataset's val and test videos.
      const taken = new Set([...everyTraining, ...plan.filter((v) => v.split !== 'seen')].map((v) => v.seed));
      expect(seen.filter((v) => taken.has(v.seed)).map((v) => v.name)).toEqual([]);
      expect(new Set(seen.map((v) => v.seed)).size).toBe(seen.length);
      // Asking for seen videos leaves the plan of the other splits as it was.
      expect(plan.filter((v) => v.split !== 'seen')).toEqual(synthVideoPlan(c));
    }
  });

  it('seen videos come from the training setting, leave the other videos byte-identical, and equal no training video', async () => {
    const variety: SynthVariety = {
      train: { sizes: [[32, 32], [32, 48]], shapes: ['ellipse'], textures: ['flat'] },
      held_out: { sizes: [[40, 40]], shapes: ['star'], textures: ['rings'] },
    };
    const base = { frames: 2, size: [32, 32] as [number, number], objects: [1, 2] as [number, number], seed: 3, variety, trainVideos: 3, valVideos: 1, testVideos: 1 };
    const without = path.join(dir, 'no-seen');
    const withSeen = path.join(dir, 'with-seen');
    const only = path.join(dir, 'only-seen');
    await generateSyntheticDataset({ ...base, out: without });
    await generateSyntheticDataset({ ...base, out: withSeen, seenVideos: 4 });
    const summary = await generateSyntheticDataset({ ...base, out: only, trainVideos: 0, valVideos: 0, testVideos: 0, seenVideos: 4 });
    expect(summary.train).toEqual([]);
    expect(summary.seen).toEqual(['synth-seen-0000', 'synth-seen-0001', 'synth-seen-0002', 'synth-seen-0003']);
    expect(fs.readFileSync(path.join(only, 'ImageSets', '2017', 'seen.txt'), 'utf8')).toBe(`${summary.seen.join('\n')}\n`);
    expect(fs.existsSync(path.join(only, 'ImageSets', '2017', 'train.txt'))).toBe(false);
    expect(JSON.parse(fs.readFileSync(path.join(only, 'synth.json'), 'utf8'))).toMatchObject({ seenVideos: 4, trainVideos: 0, seed: 3 });
    // No seenVideos key in a dataset that asks for none (its synth.json is what it was).
    expect(JSON.parse(fs.readFileSync(path.join(without, 'synth.json'), 'utf8'))).not.toHaveProperty('seenVideos');
    const list = (root: string, split: string) => fs.readFileSync(path.join(root, 'ImageSets', '2017', `${split}.txt`), 'utf8').trim().split('\n');
    for (const split of ['train', 'val', 'test']) for (const n of list(without, split)) expect(folderHash(withSeen, n)).toBe(folderHash(without, n));
    // The same seen videos whether the dataset has other splits or not.
    for (const n of summary.seen) expect(folderHash(only, n)).toBe(folderHash(withSeen, n));
    // Training-setting sizes (height 32, width 32 or 48), never the held-out 40x40.
    const sizes = await Promise.all(summary.seen.map(async (n) => readRgbImage(path.join(only, 'JPEGImages', '480p', n, '00000.jpg'))));
    for (const s of sizes) expect(['32x32', '32x48']).toContain(`${s.height}x${s.width}`);
    const trainHashes = new Set(list(withSeen, 'train').map((n) => folderHash(withSeen, n)));
    for (const n of summary.seen) expect(trainHashes.has(folderHash(only, n)), n).toBe(false);
    expect(synthVideoPlan({ ...base, seenVideos: 4 }).filter((v) => v.split === 'seen').every((v) => v.setting === 'train')).toBe(true);
  });

  it('refuses a dataset with no video at all, in one line', async () => {
    const opts = { out: path.join(dir, 'empty'), trainVideos: 0, valVideos: 0, testVideos: 0, frames: 2, size: [32, 32] as [number, number], objects: [1, 1] as [number, number], seed: 1 };
    await expect(generateSyntheticDataset(opts)).rejects.toThrow(/^synthetic dataset: trainVideos, valVideos, testVideos and seenVideos are all 0; ask for at least one video$/);
    expect(fs.existsSync(opts.out)).toBe(false);
  });
});

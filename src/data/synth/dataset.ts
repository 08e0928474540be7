/**
 * Writes a synthetic dataset in the DAVIS-2017 layout, so the DAVIS reader and evaluator serve it
 * exactly like real data:
 *   JPEGImages/480p/<seq>/00000.jpg, Annotations/480p/<seq>/00000.png (DAVIS palette),
 *   Annotations_unsupervised/480p/... (the same instances), ImageSets/2017/{train,val,test}.txt
 *   (and seen.txt when training-setting videos are asked for), synth.json (the options, for provenance).
 * The folder name says 480p because readers expect it; the frames have the requested size.
 *
 * Splits (docs/protocol.md): video i of split s depends only on (seed, s, i, options). A larger
 * training set starts with the same training videos and leaves the val and test videos as they
 * are, and no val or test video shares a random stream with a training video of any dataset made
 * with the same seed, whatever its size. The `seen` split holds more videos of the training setting
 * (their own streams), to score runs on the kind of videos they trained on.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../../utils/errors.js';
import { Rng } from '../../utils/rng.js';
import { encodeJpeg } from '../image_io.js';
import { encodeLabelPng } from '../palette_png.js';
import { checkVariety, checkVideoOptions, resolveDifficulty, settingVideoOptions, type SynthOptions, type SynthVideoOptions } from './options.js';
import { openPhotoGenerator } from './photo.js';
import type { PhotoSynthOptions } from './photo_options.js';
import { synthesizeVideo } from './video.js';

/** Encodes/writes of this many videos may be in flight while the next one is rendered. */
const WRITE_AHEAD = 4;

export const SYNTH_SPLITS = ['train', 'val', 'test', 'seen'] as const;
export type SynthSplit = (typeof SYNTH_SPLITS)[number];

/**
 * Where each split's stream keys start. Training video i has key i (so the training videos of
 * datasets made before the splits existed keep their pixels); val and test keys live in the upper
 * half and quarter of the 32-bit range, which no training index reaches; `seen` (held-out videos of
 * the training setting) takes the second quarter, which no other split reaches either.
 */
const SPLIT_KEY_BASE: Record<SynthSplit, number> = { train: 0, seen: 0x40000000, val: 0x80000000, test: 0xc0000000 };
/** Most videos per split: the key ranges above must not overlap. */
export const MAX_SYNTH_VIDEOS_PER_SPLIT = 0x40000000;

export function synthVideoName(split: SynthSplit, i: number): string {
  const n = String(i).padStart(4, '0');
  return split === 'train' ? `synth-${n}` : `synth-${split}-${n}`;
}

/**
 * The seed of video i of a split: a fixed mix of the dataset seed and the video's key. For one
 * dataset seed the map key → seed is a bijection (multiplication by an odd constant and xor with a
 * constant are bijections modulo 2^32), so distinct (split, i) always get distinct streams.
 */
export function synthVideoSeed(seed: number, split: SynthSplit, i: number): number {
  if (!(Number.isInteger(i) && i >= 0 && i < MAX_SYNTH_VIDEOS_PER_SPLIT)) throw new ConfigError(`synthetic video index must be in 0..${MAX_SYNTH_VIDEOS_PER_SPLIT - 1} (got ${i})`);
  const key = (SPLIT_KEY_BASE[split] + i) >>> 0;
  return (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul((key + 1) >>> 0, 0x85ebca6b)) >>> 0;
}

/** One video of a dataset to generate: its split, name, stream seed and which variety setting it draws from. */
export interface SynthVideoPlan {
  split: SynthSplit;
  index: number;
  name: string;
  seed: number;
  /** The variety setting (null: the plain generator, every split from the same options). */
  setting: 'train' | 'held_out' | null;
}

/** Splits whose videos come from the training setting (and the training photo pool). */
const TRAINING_SETTING: ReadonlySet<SynthSplit> = new Set(['train', 'seen']);

/** The videos of a dataset, training first, then val, then test, then seen. */
export function synthVideoPlan(opts: Pick<SynthOptions, 'trainVideos' | 'valVideos' | 'testVideos' | 'seenVideos' | 'seed' | 'variety'>): SynthVideoPlan[] {
  const counts: Record<SynthSplit, number> = { train: opts.trainVideos, val: opts.valVideos, test: opts.testVideos, seen: opts.seenVideos ?? 0 };
  return SYNTH_SPLITS.flatMap((split) =>
    Array.from({ length: counts[split] }, (_, index) => ({
      split,
      index,
      name: synthVideoName(split, index),
      seed: synthVideoSeed(opts.seed, split, index),
      setting: opts.variety === undefined ? null : TRAINING_SETTING.has(split) ? ('train' as const) : ('held_out' as const),
    })),
  );
}

export interface SynthSummary {
  out: string;
  train: string[];
  val: string[];
  test: string[];
  seen: string[];
  frames: number;
  objects: number;
}

async function writeVideo(dir: string, name: string, video: ReturnType<typeof synthesizeVideo>, quality: number): Promise<void> {
  const folders = ['JPEGImages', 'Annotations', 'Annotations_unsupervised'].map((f) => path.join(dir, f, '480p', name));
  for (const f of folders) await fs.promises.mkdir(f, { recursive: true });
  await Promise.all(
    video.frames.map(async (frame, t) => {
      const stem = String(t).padStart(5, '0');
      const png = encodeLabelPng(video.labels[t]!);
      await fs.promises.writeFile(path.join(folders[0]!, `${stem}.jpg`), await encodeJpeg(frame, quality));
      await fs.promises.writeFile(path.join(folders[1]!, `${stem}.png`), png);
      await fs.promises.writeFile(path.join(folders[2]!, `${stem}.png`), png);
    }),
  );
}

/**
 * Generates the dataset into a temporary folder beside `out` and renames it into place, so a
 * crash never leaves a half-written dataset at `out`. Refuses to replace an existing `out`
 * unless `overwrite` is set.
 */
export async function generateSyntheticDataset(opts: SynthOptions & { photos?: PhotoSynthOptions }): Promise<SynthSummary> {
  checkVideoOptions(opts);
  if (opts.variety !== undefined) checkVariety(opts.variety, opts);
  const difficulty = resolveDifficulty(opts.difficulty);
  for (const key of ['trainVideos', 'valVideos', 'testVideos', 'seenVideos'] as const) {
    const n = opts[key] ?? 0;
    if (!(Number.isInteger(n) && n >= 0 && n <= MAX_SYNTH_VIDEOS_PER_SPLIT))
      throw new ConfigError(`synthetic ${key} must be an integer in 0..${MAX_SYNTH_VIDEOS_PER_SPLIT} (got ${n})`);
  }
  if (opts.trainVideos + opts.valVideos + opts.testVideos + (opts.seenVideos ?? 0) === 0) {
    throw new ConfigError('synthetic dataset: trainVideos, valVideos, testVideos and seenVideos are all 0; ask for at least one video');
  }
  const out = path.resolve(opts.out);
  if (fs.existsSync(out) && !opts.overwrite) {
    throw new ConfigError(`${out} already exists; choose another --out or pass --overwrite`);
  }
  const tmp = `${out}.partial-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  const plan = synthVideoPlan(opts);
  // Photographs (when asked for and present): training (and seen) videos from one pool, val and test from the other.
  const sizes = opts.variety === undefined ? [opts.size] : [...opts.variety.train.sizes, ...opts.variety.held_out.sizes];
  const heldOut = opts.valVideos + opts.testVideos > 0;
  const photos = opts.photos === undefined ? null : await openPhotoGenerator(opts.photos, sizes, heldOut ? ['train', 'held_out'] : ['train']);
  if (photos !== null && photos.generator === null) console.log(photos.note);
  let objects = 0;
  try {
    const pending: Promise<void>[] = [];
    for (const v of plan) {
      const rng = new Rng(v.seed);
      let videoOpts: SynthVideoOptions = { ...opts, difficulty };
      if (v.setting !== null) {
        // The varied generator: the video's split picks the setting, the setting a frame size.
        const setting = opts.variety![v.setting];
        videoOpts = settingVideoOptions({ ...opts, difficulty }, setting, setting.sizes[rng.int(0, setting.sizes.length - 1)]!);
      }
      const pool = TRAINING_SETTING.has(v.split) ? 'train' : 'held_out';
      const video = photos?.generator ? photos.generator.synthesize(rng, videoOpts, pool) : synthesizeVideo(rng, videoOpts);
      objects += video.objectCount;
      pending.push(writeVideo(tmp, v.name, video, resolveDifficulty(videoOpts.difficulty).jpegQuality));
      if (pending.length >= WRITE_AHEAD) await pending.shift();
    }
    await Promise.all(pending);
    const names = (split: SynthSplit) => plan.filter((v) => v.split === split).map((v) => v.name);
    const [train, val, test, seen] = [names('train'), names('val'), names('test'), names('seen')];
    const sets = path.join(tmp, 'ImageSets', '2017');
    fs.mkdirSync(sets, { recursive: true });
    for (const [split, list] of [['train', train], ['val', val], ['test', test], ['seen', seen]] as const) {
      if (list.length > 0) fs.writeFileSync(path.join(sets, `${split}.txt`), `${list.join('\n')}\n`);
    }
    const { out: _out, overwrite: _ow, ...recorded } = opts;
    const generator = photos?.generator ? 'rvos synthetic photo v1' : opts.variety === undefined ? 'rvos synthetic v2 (splits)' : 'rvos synthetic v3 (varied, splits)';
    const photoLibrary = photos === null ? {} : { photoLibrary: photos.generator === null ? null : { effects: photos.generator.effects, ...photos.generator.names, cutouts: photos.generator.cutouts } };
    fs.writeFileSync(path.join(tmp, 'synth.json'), `${JSON.stringify({ generator, ...recorded, difficulty, ...photoLibrary }, null, 2)}\n`);
    if (fs.existsSync(out)) fs.rmSync(out, { recursive: true, force: true });
    fs.renameSync(tmp, out);
    return { out, train, val, test, seen, frames: opts.frames * plan.length, objects };
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

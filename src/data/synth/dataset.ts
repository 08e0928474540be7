/**
 * Writes a synthetic dataset in the DAVIS-2017 layout, so the DAVIS reader and evaluator serve it
 * exactly like real data:
 *   JPEGImages/480p/<seq>/00000.jpg, Annotations/480p/<seq>/00000.png (DAVIS palette),
 *   Annotations_unsupervised/480p/... (the same instances), ImageSets/2017/{train,val}.txt,
 *   synth.json (the options, for provenance).
 * The folder name says 480p because readers expect it; the frames have the requested size.
 * Video i depends only on (seed, i, options): a larger dataset starts with the same videos.
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

export function synthVideoName(i: number): string {
  return `synth-${String(i).padStart(4, '0')}`;
}

/** The seed of video i: a fixed mix of the dataset seed and the index. */
export function synthVideoSeed(seed: number, i: number): number {
  return (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca6b)) >>> 0;
}

export interface SynthSummary {
  out: string;
  train: string[];
  val: string[];
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
  if (!(Number.isInteger(opts.videos) && opts.videos >= 1)) throw new ConfigError(`synthetic videos must be an integer >= 1 (got ${opts.videos})`);
  if (!(Number.isInteger(opts.valVideos) && opts.valVideos >= 0 && opts.valVideos < opts.videos)) {
    throw new ConfigError(`synthetic valVideos must be an integer in 0..videos-1 (got ${opts.valVideos} with videos ${opts.videos})`);
  }
  const out = path.resolve(opts.out);
  if (fs.existsSync(out) && !opts.overwrite) {
    throw new ConfigError(`${out} already exists; choose another --out or pass --overwrite`);
  }
  const tmp = `${out}.partial-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  const names = Array.from({ length: opts.videos }, (_, i) => synthVideoName(i));
  // Photographs (when asked for and present): training videos from one pool, held-out from the other.
  const sizes = opts.variety === undefined ? [opts.size] : [...opts.variety.train.sizes, ...opts.variety.val.sizes];
  const photos = opts.photos === undefined ? null : await openPhotoGenerator(opts.photos, sizes, opts.valVideos > 0 ? ['train', 'held_out'] : ['train']);
  if (photos !== null && photos.generator === null) console.log(photos.note);
  let objects = 0;
  try {
    const pending: Promise<void>[] = [];
    for (let i = 0; i < opts.videos; i++) {
      const rng = new Rng(synthVideoSeed(opts.seed, i));
      let videoOpts: SynthVideoOptions = { ...opts, difficulty };
      if (opts.variety !== undefined) {
        // The varied generator: the video's split picks the setting, the setting a frame size.
        const setting = i < opts.videos - opts.valVideos ? opts.variety.train : opts.variety.val;
        videoOpts = settingVideoOptions({ ...opts, difficulty }, setting, setting.sizes[rng.int(0, setting.sizes.length - 1)]!);
      }
      const pool = i < opts.videos - opts.valVideos ? 'train' : 'held_out';
      const video = photos?.generator ? photos.generator.synthesize(rng, videoOpts, pool) : synthesizeVideo(rng, videoOpts);
      objects += video.objectCount;
      pending.push(writeVideo(tmp, names[i]!, video, resolveDifficulty(videoOpts.difficulty).jpegQuality));
      if (pending.length >= WRITE_AHEAD) await pending.shift();
    }
    await Promise.all(pending);
    const train = names.slice(0, opts.videos - opts.valVideos);
    const val = names.slice(opts.videos - opts.valVideos);
    const sets = path.join(tmp, 'ImageSets', '2017');
    fs.mkdirSync(sets, { recursive: true });
    fs.writeFileSync(path.join(sets, 'train.txt'), `${train.join('\n')}\n`);
    if (val.length > 0) fs.writeFileSync(path.join(sets, 'val.txt'), `${val.join('\n')}\n`);
    const { out: _out, overwrite: _ow, ...recorded } = opts;
    const generator = photos?.generator ? 'rvos synthetic photo v1' : opts.variety === undefined ? 'rvos synthetic v1' : 'rvos synthetic v2 (varied)';
    const photoLibrary = photos === null ? {} : { photoLibrary: photos.generator === null ? null : { effects: photos.generator.effects, ...photos.generator.names, cutouts: photos.generator.cutouts } };
    fs.writeFileSync(path.join(tmp, 'synth.json'), `${JSON.stringify({ generator, ...recorded, difficulty, ...photoLibrary }, null, 2)}\n`);
    if (fs.existsSync(out)) fs.rmSync(out, { recursive: true, force: true });
    fs.renameSync(tmp, out);
    return { out, train, val, frames: opts.frames * opts.videos, objects };
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

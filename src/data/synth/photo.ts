/**
 * The photographic generator as the dataset writer uses it: opens a folder of photographs, splits
 * it into training and held-out pools, decodes them once, and renders videos of either pool. When
 * the folder is missing or holds no images it says so in one line and the caller falls back to
 * the procedural generator.
 */
import path from 'node:path';
import type { Rng } from '../../utils/rng.js';
import { ConfigError } from '../../utils/errors.js';
import type { SynthVideoOptions } from './options.js';
import { HELD_OUT_FRACTION, isCutout, listPhotos, loadCutout, loadPool, splitPhotos, type Photo, type PhotoPool } from './photo_library.js';
import { resolvePhotoEffects, type PhotoEffects, type PhotoSynthOptions } from './photo_options.js';
import { synthesizePhotoVideo } from './photo_video.js';
import type { SynthVideo } from './video.js';

/** Photographs are decoded with their shorter side this multiple of the frames' larger side (room to pan and zoom). */
export const PHOTO_SIDE_FACTOR = 2.5;
/** Cutouts are decoded with their longer side this multiple of the frames' larger side (about the largest object). */
export const CUTOUT_SIDE_FACTOR = 0.8;

export interface PhotoGenerator {
  dir: string;
  effects: PhotoEffects;
  /** Photograph names (relative to dir) of each pool. */
  names: Record<PhotoPool, string[]>;
  /** Usable cutouts (photographed objects with alpha) of each pool. */
  cutouts: Record<PhotoPool, string[]>;
  synthesize(rng: Rng, opts: SynthVideoOptions, pool: PhotoPool): SynthVideo;
}

export type OpenedPhotos = { generator: PhotoGenerator } | { generator: null; note: string };

/**
 * Opens the photographs for frames of up to `sizes` ([H, W] each). `pools` are the pools the
 * dataset will draw from; each must hold at least one photograph.
 */
export async function openPhotoGenerator(o: PhotoSynthOptions, sizes: readonly [number, number][], pools: readonly PhotoPool[]): Promise<OpenedPhotos> {
  const effects = resolvePhotoEffects(o.effects);
  const files = listPhotos(o.dir);
  const all = files.filter((n) => !isCutout(n));
  if (all.length === 0) {
    return {
      generator: null,
      note: `note: data.synth.photos=${o.dir} holds no photographs (npm run setup:photos fetches them); using procedural textures`,
    };
  }
  const names = splitPhotos(all);
  for (const pool of pools) {
    if (names[pool].length === 0) {
      throw new ConfigError(
        `data.synth.photos=${o.dir}: none of its ${all.length} photographs falls in the ${pool === 'train' ? 'training' : 'held-out'} pool ` +
          `(about ${Math.round(HELD_OUT_FRACTION * 100)}% of file names hash to held-out); add more photographs`,
      );
    }
  }
  const side = Math.ceil(PHOTO_SIDE_FACTOR * Math.max(...sizes.map(([h, w]) => Math.max(h, w))));
  const loaded: Record<PhotoPool, Photo[]> = {
    train: pools.includes('train') ? await loadPool(o.dir, names.train, side) : [],
    held_out: pools.includes('held_out') ? await loadPool(o.dir, names.held_out, side) : [],
  };
  // Cutouts split by the same file-name hash; drawings and opaque images among them are dropped.
  const cutoutSide = Math.ceil(CUTOUT_SIDE_FACTOR * Math.max(...sizes.map(([h, w]) => Math.max(h, w))));
  const cutoutNames = splitPhotos(files.filter(isCutout));
  const cutouts: Record<PhotoPool, Photo[]> = { train: [], held_out: [] };
  for (const pool of pools) {
    const decoded = await Promise.all(cutoutNames[pool].map((n) => loadCutout(o.dir, n, cutoutSide)));
    cutouts[pool] = decoded.filter((c): c is Photo => c !== null);
  }
  return {
    generator: {
      dir: path.resolve(o.dir),
      effects,
      names,
      cutouts: { train: cutouts.train.map((c) => c.name), held_out: cutouts.held_out.map((c) => c.name) },
      synthesize: (rng, opts, pool) => synthesizePhotoVideo(rng, opts, loaded[pool], effects, cutouts[pool]),
    },
  };
}

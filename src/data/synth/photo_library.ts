/**
 * The photographs of the photographic generator: every image file under a folder, split into a
 * training pool and a held-out pool by a hash of the file name (so the split is the same on every
 * machine and does not move when photographs are added or removed), decoded once with sharp at a
 * working resolution and cached in memory.
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { ConfigError, DataError } from '../../utils/errors.js';

/** File types the library reads (what sharp decodes and photographs come as). */
const PHOTO_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp']);
/** Fraction of the photographs (by name hash) reserved for held-out videos. */
export const HELD_OUT_FRACTION = 0.25;

export type PhotoPool = 'train' | 'held_out';

/** A decoded photograph: interleaved RGB bytes. */
export interface Photo {
  /** Path relative to the library folder (POSIX separators). */
  name: string;
  width: number;
  height: number;
  data: Uint8Array;
}

/** FNV-1a of a string, in [0, 1): a stable hash that needs no dependency. */
function unitHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h / 4294967296;
}

/** The pool a photograph belongs to, from its file name alone (lower case, without folders). */
export function photoPool(name: string): PhotoPool {
  return unitHash(path.posix.basename(name).toLowerCase()) < HELD_OUT_FRACTION ? 'held_out' : 'train';
}

/** Image files under `dir` (recursively), relative POSIX paths, sorted; [] when `dir` is missing. */
export function listPhotos(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  if (!fs.statSync(dir).isDirectory()) throw new ConfigError(`data.synth.photos=${dir} is not a folder; point it at a folder of photographs`);
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(child);
      else if (PHOTO_EXTENSIONS.has(path.extname(entry.name).toLowerCase())) out.push(child);
    }
  };
  walk('');
  return out.sort();
}

/** The photographs of a folder, by pool. */
export function splitPhotos(names: readonly string[]): Record<PhotoPool, string[]> {
  return {
    train: names.filter((n) => photoPool(n) === 'train'),
    held_out: names.filter((n) => photoPool(n) === 'held_out'),
  };
}

const cache = new Map<string, Promise<Photo>>();

/**
 * Decodes a photograph with its shorter side resized to `side` pixels (never enlarged), EXIF
 * orientation applied, alpha dropped, grey expanded to RGB. Cached per (file, side) for the life
 * of the process: a dataset of hundreds of videos decodes each photograph once.
 */
export function loadPhoto(dir: string, name: string, side: number): Promise<Photo> {
  const file = path.resolve(dir, name);
  const key = `${file}|${side}`;
  let p = cache.get(key);
  if (p === undefined) {
    p = decode(file, name, side);
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return p;
}

async function decode(file: string, name: string, side: number): Promise<Photo> {
  try {
    const { data, info } = await sharp(file, { failOn: 'error' })
      .rotate()
      .removeAlpha()
      .toColourspace('srgb')
      .resize(side, side, { fit: 'outside', withoutEnlargement: true, kernel: 'lanczos3' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`${info.channels} channels after conversion to sRGB`);
    return { name, width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  } catch (err) {
    throw new DataError(`unreadable photograph (${(err as Error).message.trim()}); remove it from the folder or re-encode it`, file);
  }
}

/** Decodes a pool's photographs (in name order). */
export async function loadPool(dir: string, names: readonly string[], side: number): Promise<Photo[]> {
  return Promise.all(names.map((n) => loadPhoto(dir, n, side)));
}

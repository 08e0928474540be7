/**
 * The photographs of the photographic generator: every image file under a folder, split into a
 * training pool and a held-out pool by a hash of the file name (so the split is the same on every
 * machine and does not move when photographs are added or removed), decoded once with sharp at a
 * working resolution and cached in memory.
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp, { type OutputInfo } from 'sharp';
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
  /** Opacity per pixel, for cutouts only (photographed objects on a transparent background). */
  alpha?: Uint8Array;
}

/** Files under a folder of this name (at any depth) are cutouts: objects with an alpha mask. */
export const CUTOUT_FOLDER = 'cutouts';

/** Whether a library file is an object cutout rather than a photograph. */
export function isCutout(name: string): boolean {
  return name.split('/').slice(0, -1).includes(CUTOUT_FOLDER);
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

const cutoutCache = new Map<string, Promise<Photo | null>>();

/**
 * Decodes a cutout (longer side resized to `side`), cropped to its opaque pixels. Returns null for
 * what is not usable as a photographed object: no transparency, almost nothing opaque, or a
 * drawing (few distinct colours for its size).
 */
export function loadCutout(dir: string, name: string, side: number): Promise<Photo | null> {
  const file = path.resolve(dir, name);
  const key = `${file}|${side}`;
  let p = cutoutCache.get(key);
  if (p === undefined) {
    p = decodeCutout(file, name, side);
    cutoutCache.set(key, p);
    p.catch(() => cutoutCache.delete(key));
  }
  return p;
}

/**
 * A cutout needs at least this many distinct 5-bit colours per opaque pixel to count as a
 * photograph, counted at CLASSIFY_SIDE (measured on Tux Paint's stamps at 320 px: black silhouettes and flat drawings
 * 0-0.004, photographs of smooth fur or fruit from 0.006, most above 0.02).
 */
export const MIN_CUTOUT_COLOUR_RATIO = 0.005;

/** Cutouts are told from drawings at this size (the colour count grows with the pixel count). */
const CLASSIFY_SIDE = 320;

async function decodeRgba(file: string, side: number): Promise<{ data: Buffer; info: OutputInfo }> {
  try {
    return await sharp(file, { failOn: 'error' })
      .rotate()
      .toColourspace('srgb')
      .ensureAlpha()
      .resize(side, side, { fit: 'inside', withoutEnlargement: true, kernel: 'lanczos3' })
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw new DataError(`unreadable cutout (${(err as Error).message.trim()}); remove it from the folder or re-encode it`, file);
  }
}

/** Whether an RGBA image is a photographed object: some transparency, enough opaque pixels, many colours. */
function photographedObject(src: Buffer, width: number, height: number): boolean {
  let opaque = 0;
  const colours = new Set<number>();
  for (let p = 0; p < width * height; p++) {
    const o = p * 4;
    if (src[o + 3]! < 128) continue;
    opaque++;
    colours.add(((src[o]! >> 3) << 10) | ((src[o + 1]! >> 3) << 5) | (src[o + 2]! >> 3));
  }
  return opaque >= 64 && opaque <= 0.95 * width * height && colours.size >= MIN_CUTOUT_COLOUR_RATIO * opaque;
}

async function decodeCutout(file: string, name: string, side: number): Promise<Photo | null> {
  const probe = await decodeRgba(file, CLASSIFY_SIDE);
  if (!photographedObject(probe.data, probe.info.width, probe.info.height)) return null;
  const { data: src, info } = side === CLASSIFY_SIDE ? probe : await decodeRgba(file, side);
  const { width, height } = info;
  let x0 = width;
  let x1 = -1;
  let y0 = height;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (src[(y * width + x) * 4 + 3]! < 128) continue;
      x0 = Math.min(x0, x);
      x1 = Math.max(x1, x);
      y0 = Math.min(y0, y);
      y1 = Math.max(y1, y);
    }
  }
  if (x1 < 0) return null;
  // One transparent pixel of margin so bilinear coverage falls to zero at the crop's edge.
  x0 = Math.max(x0 - 1, 0);
  y0 = Math.max(y0 - 1, 0);
  x1 = Math.min(x1 + 1, width - 1);
  y1 = Math.min(y1 + 1, height - 1);
  const w = x1 - x0 + 1;
  const h = y1 - y0 + 1;
  const data = new Uint8Array(w * h * 3);
  const alpha = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = ((y + y0) * width + x + x0) * 4;
      const p = y * w + x;
      data[p * 3] = src[o]!;
      data[p * 3 + 1] = src[o + 1]!;
      data[p * 3 + 2] = src[o + 2]!;
      alpha[p] = src[o + 3]!;
    }
  }
  return { name, width: w, height: h, data, alpha };
}

/** Decodes a pool's photographs (in name order). */
export async function loadPool(dir: string, names: readonly string[], side: number): Promise<Photo[]> {
  return Promise.all(names.map((n) => loadPhoto(dir, n, side)));
}

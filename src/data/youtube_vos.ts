/**
 * YouTube-VOS reader (2018/2019 layout, see shared reference metrics.md):
 *   <split>/JPEGImages/<video>/<5-digit>.jpg (every 5th frame), <split>/Annotations/<video>/*.png,
 *   <split>/meta.json: {"videos": {vid: {"objects": {"<id>": {"category"?, "frames": [...]}}}}}.
 * Objects may first appear mid-video; meta.json gives each object's first frame. In 'valid' only
 * the frames where an object first appears are annotated.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DataError } from '../utils/errors.js';
import { listStems } from './davis2017.js';
import { datasetWarnings, openFileSequence, type ValidationLevel } from './file_sequence.js';
import { openSequences } from './open_sequences.js';
import type { OnDataError, VideoDataset } from './types.js';

export interface YouTubeVosOptions {
  split: 'train' | 'valid';
  onError?: OnDataError;
  /**
   * Frames that must have an annotation: 'first-appearance' (default: each object's first frame
   * in meta.json) or 'all' (every JPEG frame, true for the official train split).
   */
  annotated?: 'first-appearance' | 'all';
  validate?: ValidationLevel;
}

interface MetaObject {
  category?: string;
  frames: string[];
}

/** Reads and checks meta.json; returns video → object id → entry. */
export function readYouTubeVosMeta(file: string): Map<string, Map<number, MetaObject>> {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new DataError(
      missing ? 'meta.json is missing; every YouTube-VOS split folder has one' : `meta.json is not valid JSON (${(err as Error).message})`,
      file,
    );
  }
  const videos = (raw as { videos?: unknown } | null)?.videos;
  if (typeof videos !== 'object' || videos === null) throw new DataError('meta.json has no "videos" object', file);
  const out = new Map<string, Map<number, MetaObject>>();
  for (const [vid, entry] of Object.entries(videos as Record<string, { objects?: Record<string, MetaObject> }>)) {
    const objects = new Map<number, MetaObject>();
    for (const [key, obj] of Object.entries(entry?.objects ?? {})) {
      const id = Number(key);
      if (!Number.isInteger(id) || id < 1 || id > 254 || !Array.isArray(obj?.frames) || obj.frames.length === 0) {
        throw new DataError(`meta.json: video ${vid} object "${key}" needs an id in 1..254 and a non-empty "frames" list`, file);
      }
      objects.set(id, { category: obj.category, frames: obj.frames.map(String) });
    }
    out.set(vid, objects);
  }
  if (out.size === 0) throw new DataError('meta.json lists no videos', file);
  return out;
}

export async function openYouTubeVOS(root: string, opts: YouTubeVosOptions): Promise<VideoDataset> {
  const splitDir = path.join(root, opts.split);
  if (!fs.existsSync(splitDir)) {
    throw new DataError(`YouTube-VOS split folder is missing; expected ${opts.split}/JPEGImages, ${opts.split}/Annotations and ${opts.split}/meta.json under the root`, splitDir);
  }
  const metaFile = path.join(splitDir, 'meta.json');
  const meta = readYouTubeVosMeta(metaFile);
  const names = [...meta.keys()].sort();

  const { sequences, skipped } = await openSequences(names, opts.onError ?? 'raise', async (name) => {
    const framesDir = path.join(splitDir, 'JPEGImages', name);
    const frames = listStems(framesDir, /\.jpe?g$/i);
    if (frames === null) throw new DataError(`video ${name} is listed in ${metaFile} but its frame folder is missing`, framesDir);
    if (frames.size === 0) throw new DataError(`video ${name} has no .jpg frames`, framesDir);
    const frameNames = [...frames.keys()];
    const index = new Map(frameNames.map((f, i) => [f, i]));
    const annDir = path.join(splitDir, 'Annotations', name);
    const annotations = listStems(annDir, /\.png$/i) ?? new Map<string, string>();

    const firstFrameOf = new Map<number, number>();
    const categories = new Map<number, string>();
    for (const [id, obj] of meta.get(name)!) {
      const first = Math.min(...obj.frames.map((f) => index.get(f) ?? Infinity));
      if (first === Infinity) {
        throw new DataError(`meta.json: none of object ${id}'s frames (${obj.frames[0]}, ...) exist in ${framesDir}`, metaFile);
      }
      firstFrameOf.set(id, first);
      if (obj.category !== undefined) categories.set(id, obj.category);
    }
    const firstFrames = [...new Set(firstFrameOf.values())].sort((a, b) => a - b);
    return openFileSequence({
      name,
      frameNames,
      frameFiles: [...frames.values()],
      annotationFiles: frameNames.map((f) => annotations.get(f) ?? null),
      required:
        opts.annotated === 'all'
          ? { frames: frameNames.map((_, i) => i), why: 'annotated: all' }
          : { frames: firstFrames, why: 'meta.json says an object first appears there' },
      annotationPathFor: (i) => path.join(annDir, `${frameNames[i]}.png`),
      objects: { firstFrameOf, categories },
      scan: 'first',
      validate: opts.validate ?? 'headers',
    });
  });
  return { name: 'youtube_vos', root, split: opts.split, sequences, skipped, warnings: datasetWarnings(sequences, path.join(splitDir, 'Annotations')) };
}

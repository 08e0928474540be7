/**
 * A plain folder of frames (JPEG or PNG, ordered by name with numeric collation) with an optional
 * first-frame mask: for running a trained model on one's own video.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DataError } from '../utils/errors.js';
import { listStems } from './davis2017.js';
import { datasetWarnings, openFileSequence } from './file_sequence.js';
import type { VideoDataset } from './types.js';

export interface FrameFolderOptions {
  /** Palette PNG with the objects of frame 0 (one-shot); without it no frame is annotated. */
  firstMask?: string;
  /**
   * Folder of palette PNGs named like frames (<stem>.png) giving the masks of objects where they
   * first appear (one-shot inference with objects that enter later, as YouTube-VOS annotates them).
   */
  masksDir?: string;
}

export async function openFrameFolder(dir: string, opts: FrameFolderOptions = {}): Promise<VideoDataset> {
  const frames = listStems(dir, /\.(jpe?g|png)$/i);
  if (frames === null) throw new DataError('frame folder does not exist', dir);
  if (frames.size === 0) throw new DataError('frame folder has no .jpg/.jpeg/.png frames', dir);
  if (opts.firstMask !== undefined && !fs.existsSync(opts.firstMask)) {
    throw new DataError('first-frame mask file does not exist', opts.firstMask);
  }
  if (opts.masksDir !== undefined && !fs.existsSync(opts.masksDir)) {
    throw new DataError('masks folder does not exist', opts.masksDir);
  }
  const frameNames = [...frames.keys()];
  const maskFiles = opts.masksDir === undefined ? null : listStems(opts.masksDir, /\.png$/i);
  const annotationFor = (stem: string, i: number): string | null =>
    maskFiles?.get(stem) ?? (i === 0 ? (opts.firstMask ?? null) : null);
  const name = path.basename(path.resolve(dir));
  const sequence = await openFileSequence({
    name,
    frameNames,
    frameFiles: [...frames.values()],
    annotationFiles: frameNames.map((stem, i) => annotationFor(stem, i)),
    required: { frames: [], why: '' },
    annotationPathFor: (i: number) => annotationFor(frameNames[i]!, i) ?? opts.firstMask ?? '',
    scan: maskFiles === null ? 'first' : 'all',
    validate: 'headers',
  });
  return { name: 'frames', root: dir, split: 'frames', sequences: [sequence], skipped: [], warnings: datasetWarnings([sequence], opts.masksDir ?? opts.firstMask ?? dir) };
}

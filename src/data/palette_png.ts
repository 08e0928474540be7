/**
 * Palette (indexed) PNG files of label maps: reading and atomic writing (the codec, DAVIS palette
 * and LabelMap type live in palette_codec.ts, which has no file access).
 */
import fs from 'node:fs';
import { writeFileAtomic } from '../utils/fs.js';
import { DataError } from '../utils/errors.js';
import { decodeLabelPng, encodeLabelPng, isGrayscalePng, type LabelMap } from './palette_codec.js';

export { DAVIS_PALETTE, decodeLabelPng, encodeLabelPng, isGrayscalePng, refuseBinaryMask, type LabelMap } from './palette_codec.js';

/**
 * Reads a palette PNG as indices; errors name the file. An 8-bit grayscale PNG is read too (its
 * grey values as the ids, as the DAVIS evaluation reads PNGs), and `onGrayscale` is told (it may
 * throw, e.g. refuseBinaryMask).
 */
export function readLabelPng(file: string, onGrayscale?: (file: string, map: LabelMap) => void): LabelMap {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch {
    throw new DataError('file is missing or unreadable', file);
  }
  const map = decodeLabelPng(bytes, file);
  if (onGrayscale !== undefined && isGrayscalePng(bytes)) onGrayscale(file, map);
  return map;
}

/**
 * The one-line warning for label PNGs (annotations, predictions) that store grey values instead of palette indices
 * (`files`: those found, `where`: what holds them); undefined when there are none.
 */
export function grayscaleAnnotationWarning(files: string[], where: string): string | undefined {
  if (files.length === 0) return undefined;
  return (
    `${files.length} label PNG${files.length === 1 ? ' is' : 's are'} 8-bit grayscale, not palette PNGs, in ${where} (first: ${files[0]}); ` +
    'their grey values are read as object ids (0 background, 1-254 objects, 255 void), as the DAVIS evaluation reads them; save palette PNGs to silence this'
  );
}

/** Writes a label map atomically as a DAVIS palette PNG. */
export function writeLabelPng(file: string, map: LabelMap): void {
  writeFileAtomic(file, encodeLabelPng(map));
}

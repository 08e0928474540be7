/**
 * Palette (indexed) PNG files of label maps: reading and atomic writing (the codec, DAVIS palette
 * and LabelMap type live in palette_codec.ts, which has no file access).
 */
import fs from 'node:fs';
import { writeFileAtomic } from '../utils/fs.js';
import { DataError } from '../utils/errors.js';
import { decodeLabelPng, encodeLabelPng, type LabelMap } from './palette_codec.js';

export { DAVIS_PALETTE, decodeLabelPng, encodeLabelPng, type LabelMap } from './palette_codec.js';

/** Reads a palette PNG as indices; errors name the file. */
export function readLabelPng(file: string): LabelMap {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch {
    throw new DataError('file is missing or unreadable', file);
  }
  return decodeLabelPng(bytes, file);
}

/** Writes a label map atomically as a DAVIS palette PNG. */
export function writeLabelPng(file: string, map: LabelMap): void {
  writeFileAtomic(file, encodeLabelPng(map));
}

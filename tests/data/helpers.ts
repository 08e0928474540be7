/** Helpers for data tests: temporary folders and small DAVIS / YouTube-VOS trees written to disk. */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { writeLabelPng } from '../../src/data/palette_png.js';
import type { LabelMap, RgbImage } from '../../src/data/types.js';
import { sharedData } from '../shared_data.js';

export function tempDir(prefix = 'rvos-data-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** A deterministic RGB test image (gradient + id pattern). */
export function testImage(width: number, height: number, seed = 0): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      data[o] = (x * 7 + seed * 31) & 255;
      data[o + 1] = (y * 5 + seed * 17) & 255;
      data[o + 2] = ((x ^ y) * 3 + seed) & 255;
    }
  }
  return { width, height, data };
}

/** A label map with a rectangle of `id` at (x0, y0)-(x1, y1) (exclusive) on background 0. */
export function rectLabels(width: number, height: number, rects: [id: number, x0: number, y0: number, x1: number, y1: number][]): LabelMap {
  const data = new Uint8Array(width * height);
  for (const [id, x0, y0, x1, y1] of rects) {
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) data[y * width + x] = id;
  }
  return { width, height, data };
}

export async function writeJpeg(file: string, image: RgbImage): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } }).jpeg({ quality: 95 }).toFile(file);
}

/** Writes an RGB (not palette) PNG: what a user gets by saving colour masks. */
export async function writeRgbPng(file: string, image: RgbImage): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } }).png().toFile(file);
}

export interface DavisSeqSpec {
  name: string;
  frames: number;
  width: number;
  height: number;
  /** Label map per frame (default: one rectangle object 1 moving right). */
  labels?: (t: number) => LabelMap;
}

/** Writes a small DAVIS-2017 tree (JPEG frames, palette annotations, split files). */
export async function writeDavis(root: string, seqs: DavisSeqSpec[], splits: Record<string, string[]>): Promise<void> {
  for (const s of seqs) {
    for (let t = 0; t < s.frames; t++) {
      const stem = String(t).padStart(5, '0');
      await writeJpeg(path.join(root, 'JPEGImages', '480p', s.name, `${stem}.jpg`), testImage(s.width, s.height, t));
      const labels = s.labels?.(t) ?? rectLabels(s.width, s.height, [[1, 2 + t, 2, 8 + t, 8]]);
      writeLabelPng(path.join(root, 'Annotations', '480p', s.name, `${stem}.png`), labels);
    }
  }
  for (const [split, names] of Object.entries(splits)) {
    fs.mkdirSync(path.join(root, 'ImageSets', '2017'), { recursive: true });
    fs.writeFileSync(path.join(root, 'ImageSets', '2017', `${split}.txt`), names.join('\n') + '\n');
  }
}

/** SHA-256 over every file under dir (relative path + contents), in sorted path order. */
export function hashTree(dir: string): string {
  const hash = crypto.createHash('sha256');
  const walk = (d: string): string[] =>
    fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
  for (const file of walk(dir).sort()) {
    hash.update(path.relative(dir, file));
    hash.update(fs.readFileSync(file));
  }
  return hash.digest('hex');
}

/** Real DAVIS files for the checks on real data (null: skipped; tests/shared_data.ts). */
export const REAL_DAVIS = sharedData('davis-real');
export const REAL_TENNIS = sharedData('davis-real-tennis');

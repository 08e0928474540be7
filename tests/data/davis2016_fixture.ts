/**
 * Small DAVIS-2016 trees written to disk: the official layout (JPEGImages/480p, 8-bit grey 0/255
 * masks in Annotations/480p, ImageSets/480p lists of "image annotation" pairs) and the DAVIS-2017
 * layout copy (palette ids, ImageSets/2016/<split>.txt).
 */
import fs from 'node:fs';
import path from 'node:path';
import { encode } from 'fast-png';
import type { LabelMap } from '../../src/data/types.js';
import { rectLabels, testImage, writeJpeg } from './helpers.js';

export const W = 40;
export const H = 30;

/** Object of frame t: a 10x10 square at x = 5 + 2t, y = 5 (0/1). */
export function movingSquare(t: number): LabelMap {
  return rectLabels(W, H, [[1, 5 + 2 * t, 5, 15 + 2 * t, 15]]);
}

/** Writes a 0/1 (or any) label map as an 8-bit grey PNG with the values scaled by `scale`. */
export function writeGreyPng(file: string, map: LabelMap, scale = 255): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const data = map.data.map((v) => Math.min(255, v * scale));
  fs.writeFileSync(file, encode({ width: map.width, height: map.height, data, channels: 1, depth: 8 }));
}

export interface Seq2016 {
  name: string;
  frames: number;
  labels?: (t: number) => LabelMap;
}

/** The official DAVIS-2016 layout; lists map a split name to sequence names. */
export async function writeDavis2016Official(root: string, seqs: Seq2016[], lists: Record<string, string[]>): Promise<void> {
  const lines = new Map<string, string[]>();
  for (const s of seqs) {
    const entries: string[] = [];
    for (let t = 0; t < s.frames; t++) {
      const stem = String(t).padStart(5, '0');
      const image = `/JPEGImages/480p/${s.name}/${stem}.jpg`;
      const annotation = `/Annotations/480p/${s.name}/${stem}.png`;
      await writeJpeg(path.join(root, image), testImage(W, H, t));
      writeGreyPng(path.join(root, annotation), (s.labels ?? movingSquare)(t));
      entries.push(`${image} ${annotation}`);
    }
    lines.set(s.name, entries);
  }
  fs.mkdirSync(path.join(root, 'ImageSets', '480p'), { recursive: true });
  for (const [split, names] of Object.entries(lists)) {
    fs.writeFileSync(path.join(root, 'ImageSets', '480p', `${split}.txt`), names.flatMap((n) => lines.get(n)!).join('\n') + '\n');
  }
}

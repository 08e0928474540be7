/**
 * Prior ("previous frame") masks synthesised from one annotated frame, for one-shot training
 * without a real previous frame. The recipe is MaskTrack's (Perazzi, Khoreva et al., "Learning
 * Video Object Segmentation from Static Images", CVPR 2017), which Google's mobile segmentation
 * (2018 blog, cited in the seed article) reused: an EMPTY mask (simulates the first frame), an
 * AFFINE-jittered mask (translation ±10% of the object box, scale ±5%), or a THIN-PLATE-SPLINE
 * deformation (5 control points shifted by ±10% of the box size), then coarsened by dilation
 * (5 px at DAVIS resolution in MaskTrack ≈ 1% of the image's short side).
 */
import type { Rng } from '../utils/rng.js';
import { fitThinPlateSpline, type Point } from './tps.js';

export interface PriorMaskOptions {
  /** Probabilities of the recipes; the remainder keeps the exact mask. */
  emptyProb: number;
  affineProb: number;
  tpsProb: number;
  /** Affine: max translation as a fraction of the object box size. */
  translate: number;
  /** Affine: max relative scale change. */
  scale: number;
  /** Affine: max rotation in degrees. */
  rotate: number;
  /** TPS: number of control points on/in the object box (MaskTrack: 5). */
  tpsPoints: number;
  /** TPS: max control point shift as a fraction of the object box size. */
  tpsShift: number;
  /** Dilation radius as a fraction of min(H, W) (applied to non-empty deformed masks). */
  dilate: number;
}

/** MaskTrack's numbers (see the header); the empty/affine/tps split is this project's choice. */
export const MASKTRACK_PRIOR: PriorMaskOptions = {
  emptyProb: 0.1,
  affineProb: 0.4,
  tpsProb: 0.4,
  translate: 0.1,
  scale: 0.05,
  rotate: 0,
  tpsPoints: 5,
  tpsShift: 0.1,
  dilate: 0.01,
};

export type PriorMaskKind = 'empty' | 'affine' | 'tps' | 'exact';

interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

function boundingBox(mask: Uint8Array, h: number, w: number): Box | null {
  let x0 = w, y0 = h, x1 = -1, y1 = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (mask[y * w + x] === 0) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  return x1 < 0 ? null : { x0, y0, x1: x1 + 1, y1: y1 + 1 };
}

/** Backward-warps a binary mask: out(p) = mask(nearest(map(p centre))). */
function warpMask(mask: Uint8Array, h: number, w: number, map: (x: number, y: number) => Point): Uint8Array {
  const out = new Uint8Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const [sx, sy] = map(x + 0.5, y + 0.5);
      const ix = Math.floor(sx);
      const iy = Math.floor(sy);
      if (ix >= 0 && ix < w && iy >= 0 && iy < h) out[y * w + x] = mask[iy * w + ix]!;
    }
  }
  return out;
}

/** Binary dilation with a disk of radius r pixels. */
export function dilate(mask: Uint8Array, h: number, w: number, r: number): Uint8Array {
  if (r <= 0) return mask;
  const out = new Uint8Array(h * w);
  const offsets: [number, number][] = [];
  for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++) if (dx * dx + dy * dy <= r * r) offsets.push([dx, dy]);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (mask[y * w + x] === 0) continue;
      for (const [dx, dy] of offsets) {
        const xx = x + dx;
        const yy = y + dy;
        if (xx >= 0 && xx < w && yy >= 0 && yy < h) out[yy * w + xx] = 1;
      }
    }
  }
  return out;
}

function affineJitter(rng: Rng, mask: Uint8Array, h: number, w: number, box: Box, o: PriorMaskOptions): Uint8Array {
  const bw = box.x1 - box.x0;
  const bh = box.y1 - box.y0;
  const cx = (box.x0 + box.x1) / 2;
  const cy = (box.y0 + box.y1) / 2;
  const tx = rng.uniform(-o.translate, o.translate) * bw;
  const ty = rng.uniform(-o.translate, o.translate) * bh;
  const s = 1 + rng.uniform(-o.scale, o.scale);
  const th = (rng.uniform(-o.rotate, o.rotate) * Math.PI) / 180;
  const cos = Math.cos(th) / s;
  const sin = Math.sin(th) / s;
  // Inverse of p' = c + s·R(p − c) + t.
  return warpMask(mask, h, w, (x, y) => {
    const dx = x - cx - tx;
    const dy = y - cy - ty;
    return [cx + cos * dx + sin * dy, cy - sin * dx + cos * dy];
  });
}

function tpsDeform(rng: Rng, mask: Uint8Array, h: number, w: number, box: Box, o: PriorMaskOptions): Uint8Array {
  const bw = box.x1 - box.x0;
  const bh = box.y1 - box.y0;
  const moved: Point[] = [];
  const original: Point[] = [];
  for (let i = 0; i < o.tpsPoints; i++) {
    const p: Point = [rng.uniform(box.x0, box.x1), rng.uniform(box.y0, box.y1)];
    original.push(p);
    moved.push([p[0] + rng.uniform(-o.tpsShift, o.tpsShift) * bw, p[1] + rng.uniform(-o.tpsShift, o.tpsShift) * bh]);
  }
  // The image corners stay fixed so the deformation stays local to the object.
  for (const c of [[0, 0], [w, 0], [0, h], [w, h]] as Point[]) {
    original.push(c);
    moved.push(c);
  }
  let map: (x: number, y: number) => Point;
  try {
    map = fitThinPlateSpline(moved, original); // backward: output (moved) → input (original)
  } catch {
    return mask; // degenerate points (a 1-pixel object): keep the mask
  }
  return warpMask(mask, h, w, map);
}

/** Draws which recipe to use. */
export function drawPriorMaskKind(rng: Rng, o: PriorMaskOptions): PriorMaskKind {
  const u = rng.next();
  if (u < o.emptyProb) return 'empty';
  if (u < o.emptyProb + o.affineProb) return 'affine';
  if (u < o.emptyProb + o.affineProb + o.tpsProb) return 'tps';
  return 'exact';
}

/** Synthesises a prior mask (0/1 bytes, h x w) from a binary ground-truth mask. */
export function synthesizePriorMask(rng: Rng, mask: Uint8Array, h: number, w: number, o: PriorMaskOptions, kind = drawPriorMaskKind(rng, o)): Uint8Array {
  const box = boundingBox(mask, h, w);
  if (kind === 'empty' || box === null) return new Uint8Array(h * w);
  if (kind === 'exact') return mask.slice();
  const deformed = kind === 'affine' ? affineJitter(rng, mask, h, w, box, o) : tpsDeform(rng, mask, h, w, box, o);
  return dilate(deformed, h, w, Math.round(o.dilate * Math.min(h, w)));
}

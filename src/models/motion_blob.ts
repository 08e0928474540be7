/**
 * The motion blob of a frame: the largest region of the camera-aligned difference to a reference
 * frame (src/models/baselines/motion_floor.ts describes the steps). It is the non-learned zero-shot
 * floor's whole prediction, and the `motion_proposal` decoder input shows it to every zero-shot
 * slot (src/models/rvos_model.ts). Nothing is trained or tuned: the threshold and the border are
 * fixed constants, so no choice is made on the videos being scored.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ALIGNMENT_RADIUS_FRACTION, alignPrevious, alignPreviousAffine, alignPreviousZoom } from './motion_alignment.js';

/** A pixel moves when some channel changes by more than this (RGB in [0, 1]): a tenth of the range, well above 8-bit and JPEG noise. */
export const MOTION_THRESHOLD = 0.1;
/**
 * The largest 8-connected region of `mask` (h × w, 1 = set) with its holes filled: pixels that
 * cannot reach the frame's edge without crossing the region. Ties keep the region found first in
 * row-major order. All zeros when nothing is set.
 */
export function largestBlob(mask: Uint8Array, h: number, w: number): Uint8Array {
  const label = new Int32Array(h * w);
  const stack: number[] = [];
  let best = 0;
  let bestSize = 0;
  let next = 0;
  for (let start = 0; start < h * w; start++) {
    if (mask[start] === 0 || label[start] !== 0) continue;
    next++;
    let size = 0;
    label[start] = next;
    stack.push(start);
    while (stack.length > 0) {
      const p = stack.pop()!;
      size++;
      const y = Math.floor(p / w);
      const x = p % w;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const yy = y + dy;
          const xx = x + dx;
          if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
          const q = yy * w + xx;
          if (mask[q] !== 0 && label[q] === 0) {
            label[q] = next;
            stack.push(q);
          }
        }
      }
    }
    if (size > bestSize) {
      bestSize = size;
      best = next;
    }
  }
  const out = new Uint8Array(h * w);
  if (best === 0) return out;
  // Fill holes: flood the outside (4-connected, through pixels not in the region) from the edge.
  const outside = new Uint8Array(h * w);
  for (let p = 0; p < h * w; p++) {
    const y = Math.floor(p / w);
    const x = p % w;
    if ((y === 0 || y === h - 1 || x === 0 || x === w - 1) && label[p] !== best && outside[p] === 0) {
      outside[p] = 1;
      stack.push(p);
    }
  }
  while (stack.length > 0) {
    const p = stack.pop()!;
    const y = Math.floor(p / w);
    const x = p % w;
    for (const q of [y > 0 ? p - w : -1, y < h - 1 ? p + w : -1, x > 0 ? p - 1 : -1, x < w - 1 ? p + 1 : -1]) {
      if (q >= 0 && outside[q] === 0 && label[q] !== best) {
        outside[q] = 1;
        stack.push(q);
      }
    }
  }
  for (let p = 0; p < h * w; p++) out[p] = outside[p] === 0 ? 1 : 0;
  return out;
}

/** Which moving pixels a motion mask keeps: the largest region with its holes filled (the blob), or every region. */
export type MotionRegions = 'largest' | 'all';
/** How the reference is aligned to the frame first: by the global translation (the floor's), by a zoom and a translation, or by an affine map fitted to block shifts. */
export type MotionMaskAlignment = 'translation' | 'zoom' | 'affine';

/** The motion blob of `frame` against `reference` (both [1, H, W, C] in [0, 1]), as an H × W 0/1 mask. */
export function motionBlob(frame: tf.Tensor4D, reference: tf.Tensor4D): Uint8Array {
  return motionMask(frame, reference, 'largest');
}

/**
 * The camera-aligned moving pixels of `frame` against `reference`, closed by the alignment radius;
 * `regions` 'largest' keeps the largest region with its holes filled (the blob), 'all' every region
 * (several moving objects; the closing joins an object's edge fragments, no holes are filled).
 * `alignment` 'zoom' also searches the camera's zoom, 'affine' fits an affine motion to block
 * shifts (src/models/motion_alignment.ts).
 * `tolerance` > 0: a pixel moves only when no pixel of the aligned reference within `tolerance`
 * pixels (a square) matches it, so background that drifts a pixel or two on its own (ripples,
 * the parallax a global alignment leaves) does not count while an object that moves further does.
 */
export function motionMask(
  frame: tf.Tensor4D,
  reference: tf.Tensor4D,
  regions: MotionRegions,
  alignment: MotionMaskAlignment = 'translation',
  tolerance = 0,
): Uint8Array {
  const [, h, w, c] = frame.shape;
  const align = { translation: alignPrevious, zoom: alignPreviousZoom, affine: alignPreviousAffine }[alignment];
  const aligned = align(reference, frame);
  const a = aligned.dataSync() as Float32Array;
  aligned.dispose();
  const f = frame.dataSync() as Float32Array;
  const border = Math.max(1, Math.round(ALIGNMENT_RADIUS_FRACTION * Math.min(h, w)));
  const moving = new Uint8Array(h * w);
  for (let y = border; y < h - border; y++) {
    for (let x = border; x < w - border; x++) {
      const p = y * w + x;
      let diff = Infinity;
      for (let dy = -tolerance; dy <= tolerance && diff > MOTION_THRESHOLD; dy++) {
        const yy = Math.min(h - 1, Math.max(0, y + dy));
        for (let dx = -tolerance; dx <= tolerance && diff > MOTION_THRESHOLD; dx++) {
          const q = yy * w + Math.min(w - 1, Math.max(0, x + dx));
          let d = 0;
          for (let k = 0; k < c; k++) d = Math.max(d, Math.abs(f[p * c + k]! - a[q * c + k]!));
          diff = Math.min(diff, d);
        }
      }
      moving[p] = diff > MOTION_THRESHOLD ? 1 : 0;
    }
  }
  const dilated = squareFilter(moving, h, w, border, 'max');
  return squareFilter(regions === 'largest' ? largestBlob(dilated, h, w) : dilated, h, w, border, 'min');
}

/** Dilation ('max') or erosion ('min') of a 0/1 mask by a (2r + 1)² square, outside the frame counting as 0 for 'max' and 1 for 'min'. */
export function squareFilter(mask: Uint8Array, h: number, w: number, r: number, op: 'max' | 'min'): Uint8Array {
  const want = op === 'max' ? 1 : 0;
  const rows = new Uint8Array(h * w);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let v = 1 - want;
      for (let k = Math.max(0, x - r); k <= Math.min(w - 1, x + r) && v !== want; k++) if (mask[y * w + k] === want) v = want;
      rows[y * w + x] = v;
    }
  const out = new Uint8Array(h * w);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let v = 1 - want;
      for (let k = Math.max(0, y - r); k <= Math.min(h - 1, y + r) && v !== want; k++) if (rows[k * w + x] === want) v = want;
      out[y * w + x] = v;
    }
  return out;
}

/**
 * The motion blob of every batch element as a [B, H, W, 1] 0/1 map (a constant: no gradient flows
 * through the thresholds and the region search). `frames` and `references` are [B, H, W, C] in [0, 1].
 */
export function motionBlobMap(frames: tf.Tensor4D, references: tf.Tensor4D): tf.Tensor4D {
  const [batch, h, w] = frames.shape;
  const out = new Float32Array(batch * h * w);
  for (let b = 0; b < batch; b++) {
    const frame = tf.slice(frames, [b, 0, 0, 0], [1, -1, -1, -1]);
    const reference = tf.slice(references, [b, 0, 0, 0], [1, -1, -1, -1]);
    const blob = motionBlob(frame, reference);
    tf.dispose([frame, reference]);
    for (let p = 0; p < h * w; p++) out[b * h * w + p] = blob[p]!;
  }
  return tf.tensor4d(out, [batch, h, w, 1]);
}

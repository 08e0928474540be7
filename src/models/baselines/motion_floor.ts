/**
 * Non-learned zero-shot predictors, the floor a zero-shot model must beat (docs/results/README.md),
 * as FrameModels run by the inference core:
 * `empty` reports no object in any frame; `motion_blob` reports one object per frame, the largest
 * blob of the camera-aligned frame difference. Nothing is trained or tuned: the threshold and the
 * border are fixed constants below, so neither choice is made on the videos being scored.
 *
 * motion_blob, per frame t: the reference is frame t − 1 (frame 0: frame 1); the reference is moved
 * by the global translation that best explains frame t (src/models/motion_alignment.ts, the same
 * compensation as the motion input), the per-pixel largest absolute channel difference is
 * thresholded, a border as wide as the alignment's search radius is ignored (pixels shifted in
 * from outside the frame), the moving pixels are closed (dilated, then eroded, by the same radius)
 * so that the edge fragments of one smoothly textured object join, and the largest 8-connected
 * region, with its holes filled, is the object. A textured object moving against the background
 * lights up its old and new positions; a camera pan alone cancels.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ALIGNMENT_RADIUS_FRACTION, alignPrevious } from '../motion_alignment.js';
import { InferenceCore, type FrameModel, type ModelStep } from '../inference_core.js';

/** A pixel moves when some channel changes by more than this (RGB in [0, 1]): a tenth of the range, well above 8-bit and JPEG noise. */
export const MOTION_THRESHOLD = 0.1;
/** Logit magnitude of the blob's masks (sigmoid(±8) ≈ 1 − 3e-4 / 3e-4: a hard mask). */
const MASK_LOGIT = 8;

export const ZERO_SHOT_FLOORS = ['empty', 'motion_blob'] as const;
export type ZeroShotFloor = (typeof ZERO_SHOT_FLOORS)[number];

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

/** The motion blob of `frame` against `reference` (both [1, H, W, C] in [0, 1]), as an H × W 0/1 mask. */
export function motionBlob(frame: tf.Tensor4D, reference: tf.Tensor4D): Uint8Array {
  const [, h, w, c] = frame.shape;
  const aligned = alignPrevious(reference, frame);
  const a = aligned.dataSync() as Float32Array;
  aligned.dispose();
  const f = frame.dataSync() as Float32Array;
  const border = Math.max(1, Math.round(ALIGNMENT_RADIUS_FRACTION * Math.min(h, w)));
  const moving = new Uint8Array(h * w);
  for (let y = border; y < h - border; y++) {
    for (let x = border; x < w - border; x++) {
      const p = y * w + x;
      let diff = 0;
      for (let k = 0; k < c; k++) diff = Math.max(diff, Math.abs(f[p * c + k]! - a[p * c + k]!));
      moving[p] = diff > MOTION_THRESHOLD ? 1 : 0;
    }
  }
  const dilated = squareFilter(moving, h, w, border, 'max');
  return squareFilter(largestBlob(dilated, h, w), h, w, border, 'min');
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

/** Logits [1, H, W, slots] of one frame: `mask` in slot 0 (if given), every other pixel and slot "no". */
function maskLogits(mask: Uint8Array | null, h: number, w: number, slots: number): tf.Tensor4D {
  const out = new Float32Array(h * w * slots).fill(-MASK_LOGIT);
  if (mask !== null) for (let p = 0; p < h * w; p++) if (mask[p] === 1) out[p * slots] = MASK_LOGIT;
  return tf.tensor4d(out, [1, h, w, slots]);
}

/** A floor's memory of the video: the previous frame (frame 0: the look-ahead frame 1 instead). */
interface FloorState {
  previous: tf.Tensor4D | null;
  next: tf.Tensor4D | null;
}

/** A non-learned zero-shot predictor as a FrameModel, run by the inference core like any model. */
export class ZeroShotFloorModel implements FrameModel<FloorState> {
  readonly config: { readonly slots: number; readonly mode: 'zero_shot' };
  readonly firstFrameLookahead: boolean;

  constructor(
    readonly floor: ZeroShotFloor,
    slots = 1,
  ) {
    this.config = { slots, mode: 'zero_shot' };
    this.firstFrameLookahead = floor === 'motion_blob';
  }

  initialState(nextFrame: tf.Tensor4D | null = null): FloorState {
    return { previous: null, next: nextFrame === null || this.floor === 'empty' ? null : tf.clone(nextFrame) };
  }

  step(frame: tf.Tensor4D, _prevMasks: tf.Tensor4D | null, state: FloorState): ModelStep<FloorState> {
    const [, h, w] = frame.shape;
    if (this.floor === 'empty') return { logits: maskLogits(null, h, w, this.config.slots), objectness: null, state: { previous: null, next: null } };
    const reference = state.previous ?? state.next;
    const mask = reference === null ? null : motionBlob(frame, reference);
    return { logits: maskLogits(mask, h, w, this.config.slots), objectness: null, state: { previous: tf.clone(frame), next: null } };
  }

  disposeState(state: FloorState): void {
    state.previous?.dispose();
    state.next?.dispose();
  }
}

/** Foreground threshold of the floors' masks (their logits are ±8: any value strictly between works). */
const FLOOR_THRESHOLD = 0.5;

/** A zero-shot floor driven through the inference core (src/eval/predictor.ts drives it like any model). */
export function zeroShotFloorSegmenter(floor: ZeroShotFloor, slots = 1): InferenceCore<FloorState> {
  return new InferenceCore(new ZeroShotFloorModel(floor, slots), { previousMask: 'soft', threshold: FLOOR_THRESHOLD, objectnessThreshold: FLOOR_THRESHOLD });
}

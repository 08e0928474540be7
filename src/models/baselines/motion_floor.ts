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
import { motionBlob } from '../motion_blob.js';
import { InferenceCore, type FrameModel, type ModelStep } from '../inference_core.js';

/** Logit magnitude of the blob's masks (sigmoid(±8) ≈ 1 − 3e-4 / 3e-4: a hard mask). */
const MASK_LOGIT = 8;

export const ZERO_SHOT_FLOORS = ['empty', 'motion_blob'] as const;
export type ZeroShotFloor = (typeof ZERO_SHOT_FLOORS)[number];

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

/**
 * The inference core: one frame-by-frame loop that every caller of a trained model uses (the
 * evaluator and `rvos eval --run`, `rvos infer`, notebooks, the browser demo), for every model
 * family. It owns what happens between frames: the recurrent state, the previous-mask input of
 * one-shot models (soft or binary), objects that enter after frame 0, and which slots are reported.
 *
 * API:
 *   const core = new InferenceCore(model, { previousMask: 'soft', threshold: 0.5, objectnessThreshold: 0.5 });
 *   core.startVideo(frame1IfLookahead);                 // reset the state for a new video
 *   const out = core.step(frame, given);                // per frame; the caller disposes out.logits
 *   core.dispose();                                     // frees the video state (not the model)
 *
 * A model family plugs in by implementing {@link FrameModel}: RVOSModel, and the baselines of
 * src/models/baselines/ (mobile_prior, siammask, copy_first), whose own per-video memory (a
 * tracker's templates and boxes, copied masks) is their `state`.
 *
 * Rules (RVOS one-shot inference, docs/rvos.md):
 * - Frames 0 and 1: the previous-mask input is the frame-0 given masks (every slot; slots with no
 *   given object are zeros). From frame 2 on it is the model's own output of the previous frame:
 *   its sigmoid ('soft', RVOS) or that thresholded ('binary', which keeps masks from fading).
 * - An object given at frame f > 0 (YouTube-VOS) is treated as frame-0 objects are: its given mask
 *   replaces its slot's previous-mask input at frames f AND f + 1. At f the slot has no history
 *   for it, so its own prediction at f is the least reliable one it will make; at f + 1 the true
 *   previous mask (frame f's annotation) is known and beats that prediction, exactly as frame 1
 *   gets frame 0's annotation rather than the model's frame-0 output.
 * - Reported slots: one-shot reports only the slots of objects given so far (object id k lives in
 *   slot k − 1); zero-shot reports slots whose objectness probability is above the threshold
 *   (every slot without an objectness head, as RVOS).
 *
 * This file imports only TF.js core (no file system, no image codecs), so it runs in a browser.
 */
import * as tf from '@tensorflow/tfjs-core';
import { RvosError } from '../utils/errors.js';

import { PREVIOUS_MASK_FEEDS, type PreviousMaskFeed, type SegmentationMode } from './names.js';
import { replaceSlots, slotRow } from './slot_masks.js';

export { PREVIOUS_MASK_FEEDS, type PreviousMaskFeed, type SegmentationMode } from './names.js';

/** What one model step returns (RVOSModel.step's shape). */
export interface ModelStep<S> {
  /** [B, H, W, S] mask logits at the input frame size. */
  logits: tf.Tensor4D;
  /** [B, S] objectness logits, or null without an objectness head. */
  objectness: tf.Tensor2D | null;
  /** Training only: [B, H, W, 1] foreground logits for a foreground head's loss; absent or null otherwise. */
  foreground?: tf.Tensor4D | null;
  state: S;
}

/** What a step is told beside its inputs. */
export interface FrameStepOptions {
  /** Training mode (BatchNorm batch statistics and moving-average updates). Default false. */
  training?: boolean;
  /**
   * One-shot inference: the slots whose objects have been given so far, this frame's included.
   * Only they are reported, so a family may skip the others (absent: every slot, as in training).
   */
  given?: readonly number[];
  /** One-shot inference: the slots given at this very frame; their `prevMasks` channel is their given mask. */
  entering?: readonly number[];
}

/**
 * A per-frame segmentation network with its per-video memory in `state`: what a model family
 * implements to be run by the core (and trained by src/train/clip_loss.ts). `step` must not
 * dispose its inputs and returns new tensors and a new state; the core disposes them and the
 * state it replaced.
 */
export interface FrameModel<S = unknown> {
  /** `mode` absent: one_shot (the baseline families follow the semi-supervised protocol only). */
  readonly config: { readonly slots: number; readonly mode?: SegmentationMode };
  /** Whether the first frame's state wants the video's second frame (RVOS: model.first_frame_motion=next). */
  readonly firstFrameLookahead?: boolean;
  /**
   * true: the model takes frames at the video's own resolution and resizes them itself
   * (feature_propagation); callers then ignore their network size (absent: frames at data.size).
   */
  readonly nativeResolution?: boolean;
  /** The state before frame 0; `nextFrame` is the video's frame 1 when firstFrameLookahead (the caller keeps it). */
  initialState(nextFrame?: tf.Tensor4D | null): S;
  /** @param prevMasks [B, H, W, S] in [0, 1] for one-shot models, null for zero-shot ones */
  step(frame: tf.Tensor4D, prevMasks: tf.Tensor4D | null, state: S, options?: FrameStepOptions): ModelStep<S>;
  disposeState(state: S): void;
}

/** Objects whose masks are given at this frame (one-shot): frame 0's objects, or ones that enter later. */
export interface GivenObjects {
  /** Object ids (1-based); id k goes to slot k − 1. Ids above the model's slots are ignored. */
  ids: number[];
  /** [1, H, W, S] masks at the network size; slot k − 1 holds object k's mask. Other slots are not read. Owned by the caller. */
  masks: tf.Tensor4D;
}

export interface FrameOutput {
  /** [1, H, W, S] mask logits at the network size; the caller disposes them. */
  logits: tf.Tensor4D;
  /** Objectness probability per slot, or null without an objectness head. */
  objectness: Float32Array | null;
  /** Which slots to report (slot s → object id s + 1). */
  keep: boolean[];
}

/** What callers drive: the core, or a model family with its own rules between frames. */
export interface VideoSegmenter {
  readonly slots: number;
  readonly mode: SegmentationMode;
  /** Whether startVideo wants the video's frame 1 (a motion reference for frame 0). */
  readonly firstFrameLookahead: boolean;
  /** Whether frames go in at the video's own resolution (FrameModel.nativeResolution; absent: false). */
  readonly nativeResolution?: boolean;
  /** Starts a new video (drops the state of the previous one); `nextFrame`: frame 1 when firstFrameLookahead, kept by the caller. */
  startVideo(nextFrame?: tf.Tensor4D | null): void;
  /** One frame [1, H, W, 3], RGB in [0, 1]; `given` as in {@link GivenObjects}. Never disposes its inputs. */
  step(frame: tf.Tensor4D, given?: GivenObjects): FrameOutput;
  /** Frees the video state; the model stays the caller's. */
  dispose(): void;
}

export interface InferenceOptions {
  /** One-shot previous-mask input from frame 2 on (RVOS: 'soft'). */
  previousMask: PreviousMaskFeed;
  /** Foreground probability threshold, used by the 'binary' feed (RVOS: 0.5). */
  threshold: number;
  /** Zero-shot with an objectness head: minimum objectness probability of a reported slot. */
  objectnessThreshold: number;
}

export class InferenceCore<S = unknown> implements VideoSegmenter {
  readonly slots: number;
  readonly mode: SegmentationMode;
  readonly firstFrameLookahead: boolean;
  readonly nativeResolution: boolean;
  /** The video's state; `{ value }` once started (a family's state may itself be null). */
  private video: { state: S } | null = null;
  private t = 0;
  /** Frame-0 given masks (every slot), the input of frames 0 and 1. */
  private firstMasks: tf.Tensor4D | null = null;
  /** The previous frame's feed-back mask (soft or binary). */
  private previous: tf.Tensor4D | null = null;
  /** Objects given at the previous frame (t > 0): their masks re-enter at this frame. */
  private enteredLast: { slots: number[]; masks: tf.Tensor4D } | null = null;
  private readonly given = new Set<number>();

  constructor(
    private readonly model: FrameModel<S>,
    private readonly options: InferenceOptions,
  ) {
    this.slots = model.config.slots;
    this.mode = model.config.mode ?? 'one_shot';
    this.firstFrameLookahead = model.firstFrameLookahead === true;
    this.nativeResolution = model.nativeResolution === true;
    if (!PREVIOUS_MASK_FEEDS.includes(options.previousMask)) {
      throw new RvosError(`InferenceCore: previousMask must be ${PREVIOUS_MASK_FEEDS.join(' | ')}, got '${String(options.previousMask)}'`);
    }
  }

  /** Index of the next frame. */
  get frameIndex(): number {
    return this.t;
  }

  startVideo(nextFrame: tf.Tensor4D | null = null): void {
    this.release();
    this.video = { state: this.model.initialState(nextFrame) };
  }

  /**
   * One frame. `inspect` (notebooks) sees the state before and after this frame, before the one
   * before is freed; it must not keep or dispose either.
   */
  step(frame: tf.Tensor4D, given?: GivenObjects, inspect?: (before: S, after: S) => void): FrameOutput {
    if (this.video === null) this.startVideo();
    const video = this.video!;
    const oneShot = this.mode === 'one_shot';
    const newSlots = given === undefined ? [] : this.slotsOf(given.ids);
    if (!oneShot && newSlots.length > 0) throw new RvosError('InferenceCore.step: a zero_shot model takes no given objects');
    const input = oneShot ? this.previousMaskInput(frame, newSlots, given) : null;
    for (const s of newSlots) this.given.add(s);
    const options: FrameStepOptions = oneShot ? { given: [...this.given].sort((a, b) => a - b), entering: newSlots } : {};
    let out: ModelStep<S>;
    try {
      out = this.model.step(frame, input, video.state, options);
    } finally {
      if (input !== null && input !== this.firstMasks && input !== this.previous) input.dispose();
    }
    inspect?.(video.state, out.state);
    this.model.disposeState(video.state);
    video.state = out.state;
    out.foreground?.dispose();
    this.enteredLast?.masks.dispose();
    this.enteredLast = this.t > 0 && newSlots.length > 0 ? { slots: newSlots, masks: tf.clone(given!.masks) } : null;

    // Read outside tf.tidy: a tidy that returns a typed array walks every element looking for tensors.
    let objectness: Float32Array | null = null;
    if (out.objectness !== null) {
      const probs = tf.sigmoid(out.objectness);
      objectness = probs.dataSync() as Float32Array;
      tf.dispose([probs, out.objectness]);
    }
    const keep = Array.from({ length: this.slots }, (_, s) =>
      oneShot ? this.given.has(s) : objectness === null || objectness[s]! > this.options.objectnessThreshold,
    );
    if (oneShot) {
      this.previous?.dispose();
      this.previous =
        this.options.previousMask === 'binary'
          ? tf.tidy(() => tf.cast(tf.greater(tf.sigmoid(out.logits), this.options.threshold), 'float32') as tf.Tensor4D)
          : tf.sigmoid(out.logits);
    }
    this.t++;
    return { logits: out.logits, objectness, keep };
  }

  dispose(): void {
    this.release();
  }

  /** The one-shot previous-mask input of frame t (a tensor owned here or a new one). */
  private previousMaskInput(frame: tf.Tensor4D, newSlots: number[], given: GivenObjects | undefined): tf.Tensor4D {
    if (this.t === 0) {
      // Frame 0: the given masks of the listed objects, zeros elsewhere (no given object: all zeros); also frame 1's input.
      const [b, h, w] = frame.shape;
      this.firstMasks = tf.tidy(() => {
        const zeros = tf.zeros([b, h, w, this.slots]) as tf.Tensor4D;
        return given === undefined ? zeros : replaceSlots(zeros, given.masks, [slotRow(newSlots, this.slots)]);
      });
      return this.firstMasks;
    }
    let input = this.t === 1 ? this.firstMasks! : this.previous!;
    for (const entering of [this.enteredLast, newSlots.length > 0 ? { slots: newSlots, masks: given!.masks } : null]) {
      if (entering === null) continue;
      const next = replaceSlots(input, entering.masks, [slotRow(entering.slots, this.slots)]);
      if (input !== this.firstMasks && input !== this.previous) input.dispose();
      input = next;
    }
    return input;
  }

  private slotsOf(ids: number[]): number[] {
    return [...new Set(ids)].filter((id) => Number.isInteger(id) && id >= 1 && id <= this.slots).map((id) => id - 1);
  }

  private release(): void {
    if (this.video !== null) this.model.disposeState(this.video.state);
    tf.dispose([this.firstMasks, this.previous, this.enteredLast?.masks].filter((x): x is tf.Tensor4D => x != null));
    this.video = null;
    this.firstMasks = null;
    this.previous = null;
    this.enteredLast = null;
    this.given.clear();
    this.t = 0;
  }
}

/**
 * Slot logits [1, h, w, S] at the network size → label map at (width, height): logits are resized
 * bilinearly (align corners) and each pixel takes the most probable kept slot whose probability is
 * above the threshold (id = slot + 1), else background 0.
 */
export function logitsToLabels(
  logits: tf.Tensor4D,
  keep: boolean[],
  width: number,
  height: number,
  threshold: number,
): { width: number; height: number; data: Uint8Array } {
  const slots = keep.length;
  // Read outside tf.tidy: a tidy that returns a typed array walks every element looking for tensors.
  const resized = tf.tidy(() => tf.sigmoid(tf.image.resizeBilinear(logits, [height, width], true)));
  const probs = resized.dataSync() as Float32Array;
  resized.dispose();
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) {
    let best = threshold;
    let id = 0;
    for (let s = 0; s < slots; s++) {
      const p = probs[i * slots + s]!;
      if (keep[s] && p > best) {
        best = p;
        id = s + 1;
      }
    }
    data[i] = id;
  }
  return { width, height, data };
}

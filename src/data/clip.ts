/**
 * Training clips: L consecutive annotated frames of one sequence, resized to the network size,
 * augmented with one draw for the whole clip, and split into per-slot masks with the one-shot
 * convention object id k → slot k − 1. Ids above the slot count are dropped and reported on the
 * clip (`droppedIds`); void (255) pixels are background in the masks.
 *
 * All random draws happen in planClip, synchronously, before any file is read, so clips sampled
 * concurrently from one Rng (or built in worker threads) are reproducible whatever order the
 * reads finish in.
 */
import { DataError } from '../utils/errors.js';
import { Rng, type RngState } from '../utils/rng.js';
import { drawAugmentation, identityAugmentation, warpLabels, warpRgbInto, type AugmentDraw, type AugmentOptions } from './augment.js';
import { resizeLabelsNearest, resizeRgbBilinear } from './resample.js';
import { drawPriorMaskKind, synthesizePriorMask, type PriorMaskOptions } from './prior_mask.js';
import type { LabelMap, RgbImage, VideoSequence } from './types.js';
import { VOID_LABEL } from './types.js';

export interface ClipOptions {
  /** Frames per clip (RVOS: 5). */
  length: number;
  /**
   * Largest gap between the clip's frames: each clip takes every k-th frame with k drawn from
   * 1..maxSkip (default 1: consecutive frames, as RVOS). Larger gaps mean larger motion between
   * training frames, so a one-shot model cannot score by copying its previous mask.
   */
  maxSkip?: number;
  /** Network input size [H, W]. */
  size: [number, number];
  /** Object slots per frame (RVOS: 10). */
  slots: number;
  augment: AugmentOptions | null;
  /** Synthesise prior masks for the clip's first frame (one-shot training without a previous frame). */
  priorMask?: PriorMaskOptions | null;
}

export interface Clip {
  /** [L, H, W, 3] in [0, 1]. */
  frames: Float32Array;
  /** [L, H, W, S], 0/1: slot s holds object id s + 1. */
  masks: Float32Array;
  /** [L, S]: 1 where the slot's object has at least one pixel in that frame. */
  present: Uint8Array;
  /** Per slot: its object id (s + 1) when that object appears anywhere in the clip, else 0. */
  slotObjectIds: number[];
  /** [H, W, S] 0/1 prior masks synthesised from frame 0's masks (only with opts.priorMask). */
  priorMasks?: Float32Array;
  length: number;
  height: number;
  width: number;
  slots: number;
  sequence: string;
  /** Index of the clip's first frame in the sequence. */
  start: number;
  /** Frame gap within the clip (frames start, start + stride, …). */
  stride: number;
  /** Object ids in the clip above the slot count, which were dropped (ascending). */
  droppedIds: number[];
}

/** Start indices of every clip of `length` annotated frames taken every `stride`-th frame. */
export function clipStarts(seq: VideoSequence, length: number, stride = 1): number[] {
  const n = seq.frameNames.length;
  const annotated = seq.annotated ?? new Array<boolean>(n).fill(true);
  const starts: number[] = [];
  for (let i = 0; i + (length - 1) * stride < n; i++) {
    let ok = true;
    for (let t = 0; t < length && ok; t++) ok = annotated[i + t * stride]!;
    if (ok) starts.push(i);
  }
  return starts;
}

function checkOptions(o: ClipOptions): void {
  const [h, w] = o.size;
  if (!(Number.isInteger(o.length) && o.length >= 1)) throw new RangeError(`clip length must be an integer >= 1 (got ${o.length})`);
  if (!(Number.isInteger(h) && Number.isInteger(w) && h >= 1 && w >= 1)) throw new RangeError(`clip size must be positive integers (got ${h}x${w})`);
  if (!(Number.isInteger(o.slots) && o.slots >= 1 && o.slots < VOID_LABEL)) throw new RangeError(`clip slots must be in 1..254 (got ${o.slots})`);
  const skip = o.maxSkip ?? 1;
  if (!(Number.isInteger(skip) && skip >= 1)) throw new RangeError(`clip maxSkip must be an integer >= 1 (got ${skip})`);
}

/**
 * Frame i at the network size, resized the way training clips are (one-pass decode + resize where
 * the reader offers it), so inference sees frames exactly as training did.
 */
export function readFrameAtSize(seq: VideoSequence, i: number, h: number, w: number): Promise<RgbImage> {
  return seq.readFrameResized !== undefined ? seq.readFrameResized(i, h, w) : seq.readFrame(i).then((f) => resizeRgbBilinear(f, h, w));
}

async function readResized(seq: VideoSequence, i: number, h: number, w: number): Promise<[RgbImage, LabelMap]> {
  const [frame, labels] = await Promise.all([readFrameAtSize(seq, i, h, w), seq.readAnnotation(i)]);
  if (labels === null) {
    throw new DataError(`missing annotation for frame ${seq.frameNames[i]} of ${seq.name}, which a training clip needs`);
  }
  return [frame, resizeLabelsNearest(labels, h, w)];
}

/** Every random decision of a clip, made before any file is read (serialisable for workers). */
export interface ClipPlan {
  start: number;
  /** Frame gap (1 = consecutive). */
  stride: number;
  draw: AugmentDraw;
  /** State of the generator for prior-mask synthesis (null without opts.priorMask). */
  priorState: RngState | null;
}

/**
 * Draws a clip's plan: a random start among runs of `length` consecutive annotated frames (or
 * `start` when given), the augmentation and a generator for prior masks. Throws a DataError when
 * the sequence has no such run.
 */
export function planClip(seq: VideoSequence, rng: Rng, opts: ClipOptions, start?: number): ClipPlan {
  checkOptions(opts);
  const { stride, starts } = drawStride(seq, rng, opts);
  if (starts.length === 0) {
    throw new DataError(`sequence ${seq.name} has no ${opts.length} consecutive annotated frames; lower the clip length or drop the sequence`);
  }
  const [h, w] = opts.size;
  const first = start ?? starts[rng.int(0, starts.length - 1)]!;
  if (!starts.includes(first)) throw new RangeError(`${seq.name}: no annotated clip of ${opts.length} frames starts at ${first}`);
  const draw = opts.augment ? drawAugmentation(rng, opts.augment, h, w) : identityAugmentation(h, w);
  return { start: first, stride, draw, priorState: opts.priorMask ? rng.fork().getState() : null };
}

/**
 * The clip's frame gap, uniform over the gaps in 1..maxSkip that fit the sequence, with the clip
 * starts for it. With maxSkip 1 nothing is drawn, so consecutive-frame clips keep the random
 * stream they always had.
 */
function drawStride(seq: VideoSequence, rng: Rng, opts: ClipOptions): { stride: number; starts: number[] } {
  const maxSkip = opts.maxSkip ?? 1;
  const fitting = Array.from({ length: maxSkip }, (_, i) => ({ stride: i + 1, starts: clipStarts(seq, opts.length, i + 1) })).filter((f) => f.starts.length > 0);
  if (maxSkip === 1 || fitting.length === 0) return fitting[0] ?? { stride: 1, starts: [] };
  return fitting[rng.int(0, fitting.length - 1)]!;
}

/** Samples a clip: planClip (synchronous, all random draws) then buildClip (reads files). */
export async function sampleClip(seq: VideoSequence, rng: Rng, opts: ClipOptions, start?: number): Promise<Clip> {
  return buildClip(seq, planClip(seq, rng, opts, start), opts);
}

/** Reads, resizes and augments the frames of a planned clip and builds its slot masks. */
export async function buildClip(seq: VideoSequence, plan: ClipPlan, opts: ClipOptions): Promise<Clip> {
  const { start, stride, draw } = plan;
  const priorRng = plan.priorState === null ? null : new Rng(plan.priorState);
  const [h, w] = opts.size;
  const { length: L, slots: S } = opts;
  const pairs = await Promise.all(Array.from({ length: L }, (_, t) => readResized(seq, start + t * stride, h, w)));
  const frames = new Float32Array(L * h * w * 3);
  const masks = new Float32Array(L * h * w * S);
  const present = new Uint8Array(L * S);
  const dropped = new Set<number>();
  const labels0: Uint8Array[] = [];
  pairs.forEach(([frame, rawLabels], t) => {
    warpRgbInto(frame, draw, frames, t * h * w * 3);
    const labels = warpLabels(rawLabels, draw).data;
    if (t === 0) labels0.push(labels);
    for (let p = 0; p < h * w; p++) {
      const id = labels[p]!;
      if (id === 0 || id === VOID_LABEL) continue;
      if (id > S) {
        dropped.add(id);
        continue;
      }
      masks[(t * h * w + p) * S + id - 1] = 1;
      present[t * S + id - 1] = 1;
    }
  });
  const slotObjectIds = Array.from({ length: S }, (_, s) => (Array.from({ length: L }, (_, t) => present[t * S + s]).some((v) => v === 1) ? s + 1 : 0));
  const clip: Clip = {
    frames, masks, present, slotObjectIds, length: L, height: h, width: w, slots: S,
    sequence: seq.name, start, stride, droppedIds: [...dropped].sort((a, b) => a - b),
  };
  if (priorRng !== null && opts.priorMask) {
    const prior = new Float32Array(h * w * S);
    const slotMask = new Uint8Array(h * w);
    for (let s = 0; s < S; s++) {
      const kind = drawPriorMaskKind(priorRng, opts.priorMask); // one kind draw per slot, always
      if (present[s] === 0) continue;
      for (let p = 0; p < h * w; p++) slotMask[p] = labels0[0]![p] === s + 1 ? 1 : 0;
      const m = synthesizePriorMask(priorRng, slotMask, h, w, opts.priorMask, kind);
      for (let p = 0; p < h * w; p++) prior[p * S + s] = m[p]!;
    }
    clip.priorMasks = prior;
  }
  return clip;
}

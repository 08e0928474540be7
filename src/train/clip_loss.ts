/**
 * The loss of one batch of clips, computed by running a FrameModel (RVOS, mobile_prior) over every
 * frame of the clip with the recurrent state carried forward (back-propagation through the whole
 * clip, as in RVOS). Call it inside tf.variableGrads. Shapes: frames [B,L,H,W,3],
 * masks [B,L,H,W,S], present [B,L,S].
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ClipBatch } from '../data/batch.js';
import type { FrameModel } from '../models/inference_core.js';
import type { PreviousMaskFeed, PreviousMaskSource, SlotAssignment } from '../models/names.js';
import { detach } from '../models/nn.js';
import { replaceSlots } from '../models/slot_masks.js';
import {
  emptyMaskLossPerPair,
  foregroundLoss,
  maskBCELossPerPair,
  objectnessLoss,
  slotBalancedMean,
  softIoULossPerPair,
  softIoUAndEmptyMeans,
  weightedMean,
} from '../models/losses.js';
import { largestFirst, matchSlots, softIoUCostMatrix } from './slot_matching.js';

export interface ClipLossOptions {
  /** When slots are assigned to objects: 'first_frame' = RVOS (one assignment per clip); 'every_frame' assigns anew at each frame. */
  slotAssignment: SlotAssignment;
  /** Weight of the objectness BCE (0 or a model without objectness head = off, RVOS-exact). */
  objectnessWeight: number;
  /** Weight of the loss pushing slots without an object toward empty masks (0 = RVOS-exact). */
  emptySlotWeight: number;
  /** One-shot previous-mask source after frame 0: gt_prev (ST+ stage 1) or the model's own detached prediction, pred_prev (stage 2). */
  previousMask: PreviousMaskSource;
  /** Weight of objectness terms of slots that hold an object (default 1 = plain BCE). */
  objectnessPositiveWeight?: number;
  /** Average the mask loss per slot first, so rarely used slots weigh as much as slot 1 (default false = per pair, RVOS). */
  slotBalance?: boolean;
  /** Zero-shot: 'hungarian' (RVOS, default) fits the assignment to the predictions; 'largest_first' gives slot k the k-th largest object. */
  slotOrder?: 'hungarian' | 'largest_first';
  /** Weight of the foreground head's per-pixel BCE against the union of the masks (models with the foreground input; default 1). */
  foregroundWeight?: number;
  /** Weight of a per-pixel BCE beside the soft IoU for slots that hold an object (0 or absent = off, RVOS-exact). */
  maskBceWeight?: number;
}

/** Scalars for logging; the caller owns and disposes them. */
export interface LossParts {
  mask: tf.Scalar;
  empty: tf.Scalar;
  objectness: tf.Scalar;
  /** Only for models with the foreground input. */
  foreground: tf.Scalar;
  /** Only with a mask BCE weight above 0. */
  maskBce: tf.Scalar;
}

/** A FrameModel the clip loss trains, with the family's own choices for the previous-mask input. */
export interface ClipModel<S = unknown> extends FrameModel<S> {
  /** Stage pred_prev: the detached prediction fed back as its probabilities ('soft', absent: RVOS) or thresholded at 0.5 ('binary'). */
  readonly predictionFeed?: PreviousMaskFeed;
  /** Stage gt_prev: a per-batch change of the previous frame's ground truth (mobile_prior's prior_shift); absent or null: exact. */
  groundTruthPriors?(batch: ClipBatch): ((previous: tf.Tensor4D) => tf.Tensor4D) | null;
}

/** Returns the total loss (summed over frames, like RVOS) and keeps the parts in `parts` if given. */
export function clipLoss<S>(model: ClipModel<S>, batch: ClipBatch, options: ClipLossOptions, parts?: Partial<LossParts>): tf.Scalar {
  const { slots } = model.config;
  const mode = model.config.mode ?? 'one_shot';
  const groundTruthPrior = mode === 'one_shot' && options.previousMask === 'gt_prev' ? (model.groundTruthPriors?.(batch) ?? null) : null;
  const binaryFeed = model.predictionFeed === 'binary';
  const [batchSize, length, height, width] = batch.frames.shape;
  const present = batch.present.arraySync();
  // Rank-5 slicing is fast on wasm thanks to src/backend/wasm_kernels/fast_copies.ts.
  const frames = tf.unstack(batch.frames, 1) as tf.Tensor4D[];
  const masks = tf.unstack(batch.masks, 1) as tf.Tensor4D[];
  const maskTerms: tf.Scalar[] = [];
  const emptyTerms: tf.Scalar[] = [];
  const objectnessTerms: tf.Scalar[] = [];
  const foregroundTerms: tf.Scalar[] = [];
  const maskBceTerms: tf.Scalar[] = [];
  const maskBceWeight = options.maskBceWeight ?? 0;
  // A clip's first frame has no previous frame here, like a video's first frame at inference.
  let state = model.initialState(frames[1] ?? null);
  let previousLogits: tf.Tensor4D | null = null;
  let slotToObject: number[][] | null = null;
  for (let t = 0; t < length; t++) {
    let previous: tf.Tensor4D | null = null;
    if (mode === 'one_shot') {
      if (t === 0) previous = batch.priorMasks ?? masks[0]!;
      else if (options.previousMask === 'gt_prev') previous = groundTruthPrior === null ? masks[t - 1]! : groundTruthPrior(masks[t - 1]!);
      else previous = detach(binaryFeed ? (tf.cast(tf.greater(previousLogits!, 0), 'float32') as tf.Tensor4D) : tf.sigmoid(previousLogits!));
      previous = withEnteringObjects(previous, masks[t]!, present, t);
    }
    const out = model.step(frames[t]!, previous, state, { training: true });
    state = out.state;
    // Any object's pixels: permutation-free, so it needs no slot matching.
    if (out.foreground != null) foregroundTerms.push(foregroundLoss(out.foreground, tf.max(masks[t]!, 3, true) as tf.Tensor4D));
    previousLogits = out.logits;
    let targets = masks[t]!;
    if (mode === 'zero_shot') {
      if (slotToObject === null || options.slotAssignment === 'every_frame') {
        slotToObject = assignObjectsToSlots(out.logits, targets, batch.masks, present, t, options, slots);
      }
      targets = permuteSlots(targets, slotToObject);
    }
    // A slot is supervised as an object at frame t when its object is present in that frame.
    const holds = present.map((frameRows, b) =>
      Array.from({ length: slots }, (_, s) => {
        const o = slotToObject === null ? s : slotToObject[b]![s]!;
        return o >= 0 && frameRows[t]![o]! > 0 ? 1 : 0;
      }),
    );
    const holdsObject = tf.tensor2d(holds, [batchSize, slots]);
    const maskMean = options.slotBalance === true ? slotBalancedMean : weightedMean;
    const emptyWeights = options.emptySlotWeight > 0 ? (tf.sub(1, holdsObject) as tf.Tensor2D) : null;
    if (options.slotBalance !== true && maskBceWeight === 0) {
      // The soft-IoU and empty-slot terms as one op (the same values and gradients).
      const terms = softIoUAndEmptyMeans(out.logits, targets, holdsObject, emptyWeights);
      maskTerms.push(terms.iou);
      if (terms.empty !== null) emptyTerms.push(terms.empty);
    } else {
      maskTerms.push(maskMean(softIoULossPerPair(out.logits, targets), holdsObject));
      if (maskBceWeight > 0) maskBceTerms.push(maskMean(maskBCELossPerPair(out.logits, targets), holdsObject));
      if (emptyWeights !== null) emptyTerms.push(weightedMean(emptyMaskLossPerPair(out.logits), emptyWeights));
    }
    if (options.objectnessWeight > 0 && out.objectness !== null) {
      objectnessTerms.push(objectnessLoss(out.objectness, holdsObject, options.objectnessPositiveWeight ?? 1));
    }
  }
  const zero = tf.scalar(0);
  const mask = maskTerms.length > 0 ? (tf.addN(maskTerms) as tf.Scalar) : zero;
  const empty = emptyTerms.length > 0 ? (tf.addN(emptyTerms) as tf.Scalar) : zero;
  const objectness = objectnessTerms.length > 0 ? (tf.addN(objectnessTerms) as tf.Scalar) : zero;
  const foreground = foregroundTerms.length > 0 ? (tf.addN(foregroundTerms) as tf.Scalar) : null;
  const maskBce = maskBceTerms.length > 0 ? (tf.addN(maskBceTerms) as tf.Scalar) : null;
  if (parts !== undefined) {
    parts.mask = tf.keep(tf.clone(mask));
    parts.empty = tf.keep(tf.clone(empty));
    parts.objectness = tf.keep(tf.clone(objectness));
    if (foreground !== null) parts.foreground = tf.keep(tf.clone(foreground));
    if (maskBce !== null) parts.maskBce = tf.keep(tf.clone(maskBce));
  }
  const terms = [mask, tf.mul(empty, options.emptySlotWeight), tf.mul(objectness, options.objectnessWeight)];
  if (foreground !== null) terms.push(tf.mul(foreground, options.foregroundWeight ?? 1));
  if (maskBce !== null) terms.push(tf.mul(maskBce, maskBceWeight));
  return tf.addN(terms) as tf.Scalar;
}

/**
 * Targets in slot order: channel s of the result is channel slotToObject[b][s] of `targets` for
 * batch item b, or zeros where that is −1. The same values as multiplying by the
 * assignment matrix (src/train/slot_matching.ts) (a one-hot product copies), without the product: targets are data (no
 * gradient), so the channels are picked on the CPU, where the wasm backend's batched matrix
 * product with 5 columns took milliseconds per frame.
 * @param targets [B, H, W, S_obj] ground truth
 */
export function permuteSlots(targets: tf.Tensor4D, slotToObject: number[][]): tf.Tensor4D {
  const [b, h, w, objects] = targets.shape;
  const slots = slotToObject[0]?.length ?? objects;
  const source = targets.dataSync() as Float32Array;
  const out = new Float32Array(b * h * w * slots);
  for (let i = 0; i < b; i++) {
    const map = slotToObject[i]!;
    for (let p = i * h * w, end = (i + 1) * h * w; p < end; p++) {
      for (let s = 0; s < slots; s++) {
        const o = map[s]!;
        if (o >= 0) out[p * slots + s] = source[p * objects + o]!;
      }
    }
  }
  return tf.tensor4d(out, [b, h, w, slots]);
}

/**
 * One-shot: the previous-mask input of frame t with the objects that enter the clip at t (present
 * at t, absent from every earlier frame of the clip) given their frame-t mask, as the one-shot
 * protocol gives an object where it first appears. Without it the input of such an object is
 * empty and the loss asks the model to find an object it was never shown, which a prior-mask
 * model can only learn as "segment something from an empty prior". Other slots are unchanged
 * (bit for bit: a select, skipped when nothing enters).
 * @param previous [B, H, W, S] the previous-mask input of frame t
 * @param mask [B, H, W, S] frame t's ground truth
 * @param present [B][L][S] the clip's presence table
 */
export function withEnteringObjects(previous: tf.Tensor4D, mask: tf.Tensor4D, present: number[][][], t: number): tf.Tensor4D {
  const entering = enteringObjects(present, t);
  if (entering === null) return previous;
  return replaceSlots(
    previous,
    mask,
    entering.map((row) => row.map((e) => e === 1)),
  );
}

/** [B][S] 1 where slot s's object enters the clip at frame t > 0 (see withEnteringObjects); null when none does. */
export function enteringObjects(present: number[][][], t: number): number[][] | null {
  if (t === 0) return null;
  let any = false;
  const rows = present.map((frames) =>
    frames[t]!.map((p, s) => {
      const enters = p > 0 && frames.slice(0, t).every((row) => !(row[s]! > 0));
      any ||= enters;
      return enters ? 1 : 0;
    }),
  );
  return any ? rows : null;
}

/**
 * Zero-shot: which object channel each slot learns at frame t of the clip (slotToObject[b][s], or
 * −1), by options.slotOrder. The objects to place are those present at t ('every_frame') or
 * anywhere in the clip ('first_frame').
 */
export function assignObjectsToSlots(
  logits: tf.Tensor4D,
  targets: tf.Tensor4D,
  clipMasks: tf.Tensor5D,
  present: number[][][],
  t: number,
  options: Pick<ClipLossOptions, 'slotAssignment' | 'slotOrder'>,
  slots: number,
): number[][] {
  const exists = present.map((frames) =>
    Array.from({ length: slots }, (_, o) => (options.slotAssignment === 'every_frame' ? frames[t]![o]! > 0 : frames.some((row) => row[o]! > 0))),
  );
  return options.slotOrder === 'largest_first' ? largestFirstSlots(targets, clipMasks, exists) : assignSlots(logits, targets, exists);
}

/** Hungarian assignment per batch item on the current frame's predictions (zero-shot); `exists[b][o]`: object o is to be placed. */
function assignSlots(logits: tf.Tensor4D, targets: tf.Tensor4D, exists: boolean[][]): number[][] {
  const [batchSize, height, width, slots] = logits.shape;
  const perItem = height * width * slots;
  // Read outside tf.tidy: a tidy that returns a typed array walks every element looking for tensors.
  const sigmoid = tf.sigmoid(logits);
  const probs = sigmoid.dataSync() as Float32Array;
  sigmoid.dispose();
  const gt = targets.dataSync() as Float32Array;
  return Array.from({ length: batchSize }, (_, b) => {
    const cost = softIoUCostMatrix(probs.subarray(b * perItem, (b + 1) * perItem), gt.subarray(b * perItem, (b + 1) * perItem), slots, slots);
    return matchSlots(cost, exists[b]!);
  });
}

/**
 * Slot k takes the k-th largest object of each batch item by its area in the matching frame
 * (`targets`); objects of the clip absent there follow, by their area over the whole clip (so an
 * object that enters later still has a slot waiting for it).
 */
function largestFirstSlots(targets: tf.Tensor4D, clipMasks: tf.Tensor5D, exists: boolean[][]): number[][] {
  const batchSize = targets.shape[0];
  const frameArea = tf.sum(targets, [1, 2]);
  const clipArea = tf.sum(clipMasks, [1, 2, 3]);
  const frame = frameArea.arraySync() as number[][];
  const clip = clipArea.arraySync() as number[][];
  tf.dispose([frameArea, clipArea]);
  return Array.from({ length: batchSize }, (_, b) => largestFirst(frame[b]!, clip[b]!, exists[b]!));
}

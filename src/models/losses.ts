/**
 * Training losses as pure tensor functions: RVOS's, and the terms the other families' objectives
 * share (they live beside the models, below src/train/, so a family's own objective can use them).
 * Shapes: masks and logits are [B, H, W, S] (one channel per object slot); per-pair results are [B, S].
 */
import * as tf from '@tensorflow/tfjs-core';
import { bceMean } from '../layers/bce_mean.js';
import { softIoUMeans, type SoftIoUMeans } from '../layers/soft_iou_mean.js';

/** RVOS's soft-IoU smoothing term (imatge-upc/rvos, utils/utils.py: 1e-6 in the denominator). */
export const SOFT_IOU_EPSILON = 1e-6;

/**
 * Soft IoU loss per (batch item, slot): 1 − Σ(p·y) / (Σ(p + y − p·y) + ε), p = sigmoid(logits),
 * summed over pixels. Returns [B, S].
 */
export function softIoULossPerPair(logits: tf.Tensor4D, targets: tf.Tensor4D): tf.Tensor2D {
  return tf.tidy(() => {
    const p = tf.sigmoid(logits);
    const py = tf.mul(p, targets);
    const intersection = tf.sum(py, [1, 2]);
    const union = tf.sum(tf.sub(tf.add(p, targets), py), [1, 2]);
    return tf.sub(1, tf.div(intersection, tf.add(union, SOFT_IOU_EPSILON))) as tf.Tensor2D;
  });
}

/**
 * The soft-IoU term of a frame, weightedMean(softIoULossPerPair(logits, targets), weights), and
 * with `emptyWeights` the empty-slot term weightedMean(emptyMaskLossPerPair(logits),
 * emptyWeights), as one op on wasm and cpu (src/layers/soft_iou_mean.ts; the same values and
 * logits gradient bit for bit). No gradient flows to the targets or the weights.
 */
export function softIoUAndEmptyMeans(logits: tf.Tensor4D, targets: tf.Tensor4D, weights: tf.Tensor2D, emptyWeights: tf.Tensor2D | null): SoftIoUMeans {
  return softIoUMeans(logits, targets, weights, emptyWeights, SOFT_IOU_EPSILON, () => ({
    iou: weightedMean(softIoULossPerPair(logits, targets), weights),
    empty: emptyWeights === null ? null : weightedMean(emptyMaskLossPerPair(logits), emptyWeights),
  }));
}

/**
 * Mean of `perPair` over the pairs where `weights` is 1 ([B, S] each). Returns a scalar; zero when
 * no pair is weighted (a clip without objects contributes nothing, as in RVOS).
 */
export function weightedMean(perPair: tf.Tensor2D, weights: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const total = tf.sum(tf.mul(perPair, weights));
    const count = tf.sum(weights);
    return tf.div(total, tf.maximum(count, 1)) as tf.Scalar;
  });
}

/**
 * Mean per-pixel binary cross-entropy per (batch item, slot) [B, S] (not in RVOS, whose mask loss
 * is the soft IoU alone): a dense term whose gradient at a pixel does not depend on how much of
 * the rest of the mask is already right, as instance-segmentation heads pair it with a dice/IoU
 * term (e.g. Mask2Former's mask loss: binary cross-entropy plus dice).
 */
export function maskBCELossPerPair(logits: tf.Tensor4D, targets: tf.Tensor4D): tf.Tensor2D {
  return tf.tidy(() => tf.mean(binaryCrossEntropyWithLogits(logits, targets), [1, 2]) as tf.Tensor2D);
}

/**
 * Loss pushing unmatched slots toward empty masks (not in RVOS, whose unmatched slots get no loss
 * and so repeat objects): the mean foreground probability of each slot. Returns [B, S].
 */
export function emptyMaskLossPerPair(logits: tf.Tensor4D): tf.Tensor2D {
  return tf.tidy(() => tf.mean(tf.sigmoid(logits), [1, 2]) as tf.Tensor2D);
}

/** Elementwise binary cross-entropy of logits against 0/1 targets, in the stable form max(x,0) − x·t + log(1 + exp(−|x|)). */
export function binaryCrossEntropyWithLogits<T extends tf.Tensor>(logits: T, targets: T): T {
  return tf.add(tf.sub(tf.relu(logits), tf.mul(logits, targets)), tf.log1p(tf.exp(tf.neg(tf.abs(logits))))) as T;
}

/**
 * Binary cross-entropy of objectness logits [B, S] against 0/1 targets [B, S]; scalar mean.
 * `positiveWeight` (default 1 = plain BCE) scales the terms of slots that hold an object: most
 * slots are empty in videos with few objects, so plain BCE pulls later slots' objectness down.
 */
export function objectnessLoss(logits: tf.Tensor2D, targets: tf.Tensor2D, positiveWeight = 1): tf.Scalar {
  return tf.tidy(() => {
    if (positiveWeight === 1) return binaryCrossEntropyMean(logits, targets);
    const loss = binaryCrossEntropyWithLogits(logits, targets);
    const weights = tf.add(1, tf.mul(targets, positiveWeight - 1));
    return tf.div(tf.sum(tf.mul(loss, weights)), tf.sum(weights)) as tf.Scalar;
  });
}

/**
 * Mean of `perPair` [B, S] per slot over the pairs `weights` selects, then over the slots that
 * have any: every slot counts the same however rarely it holds an object (loss balancing between
 * slots). Zero when nothing is selected.
 */
export function slotBalancedMean(perPair: tf.Tensor2D, weights: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const perSlotCount = tf.sum(weights, 0);
    const perSlot = tf.div(tf.sum(tf.mul(perPair, weights), 0), tf.maximum(perSlotCount, 1));
    const used = tf.cast(tf.greater(perSlotCount, 0), 'float32');
    return tf.div(tf.sum(tf.mul(perSlot, used)), tf.maximum(tf.sum(used), 1)) as tf.Scalar;
  });
}

/**
 * The foreground head's loss: per-pixel binary cross-entropy of logits [B, H, W, 1] against the
 * union of the objects' masks [B, H, W, 1], averaged over pixels (src/models/foreground_head.ts).
 */
export function foregroundLoss(logits: tf.Tensor4D, union: tf.Tensor4D): tf.Scalar {
  return binaryCrossEntropyMean(logits, union);
}

/**
 * tf.mean(binaryCrossEntropyWithLogits(logits, targets)) over every element, as one op on wasm
 * and cpu (src/layers/bce_mean.ts; the same value and logits gradient bit for bit). No gradient
 * flows to the targets.
 */
export function binaryCrossEntropyMean(logits: tf.Tensor, targets: tf.Tensor): tf.Scalar {
  return bceMean(logits, targets, () => tf.tidy(() => tf.mean(binaryCrossEntropyWithLogits(logits, targets)) as tf.Scalar));
}

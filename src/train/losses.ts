/**
 * RVOS training losses as pure tensor functions. Shapes: masks and logits are [B, H, W, S]
 * (one channel per object slot); per-pair results are [B, S].
 */
import * as tf from '@tensorflow/tfjs-core';

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
 * Loss pushing unmatched slots toward empty masks (not in RVOS, whose unmatched slots get no loss
 * and so repeat objects): the mean foreground probability of each slot. Returns [B, S].
 */
export function emptyMaskLossPerPair(logits: tf.Tensor4D): tf.Tensor2D {
  return tf.tidy(() => tf.mean(tf.sigmoid(logits), [1, 2]) as tf.Tensor2D);
}

/** Binary cross-entropy of objectness logits [B, S] against 0/1 targets [B, S]; scalar mean. */
export function objectnessLoss(logits: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    // Stable form: max(x,0) − x·t + log(1 + exp(−|x|)).
    const loss = tf.add(tf.sub(tf.relu(logits), tf.mul(logits, targets)), tf.log1p(tf.exp(tf.neg(tf.abs(logits)))));
    return tf.mean(loss) as tf.Scalar;
  });
}

/**
 * Per-slot mask tensors ([B, H, W, S], one channel per object slot): the one way to put given
 * masks into some slots (inference: objects given at a frame; training: objects entering a clip),
 * and probabilities turned into the logits every family returns.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Probabilities are clipped to (ε, 1 − ε) before the logit so that 0/1 masks give finite logits. */
export const PROBABILITY_EPSILON = 1e-6;

/**
 * `base` with the selected slots taken from `replacement` (both [B, H, W, S]); `select[b][s]` says
 * whether batch item b's slot s is replaced. Exact (a select, no arithmetic): the other slots keep
 * their values bit for bit. A new tensor; the inputs stay the caller's.
 */
export function replaceSlots(base: tf.Tensor4D, replacement: tf.Tensor4D, select: readonly (readonly boolean[])[]): tf.Tensor4D {
  const [b, , , s] = base.shape;
  if (select.length !== b || select.some((row) => row.length !== s))
    throw new Error(`replaceSlots: select must be [${b}][${s}] for masks [${base.shape}], got [${select.length}][${select[0]?.length ?? 0}]`);
  return tf.tidy(() => {
    const cond = tf.broadcastTo(tf.tensor4d(select.flat(), [b, 1, 1, s], 'bool'), base.shape);
    return tf.where(cond, replacement, base) as tf.Tensor4D;
  });
}

/** One batch item's selection row: true at the listed slots. */
export function slotRow(slots: readonly number[], numSlots: number): boolean[] {
  return Array.from({ length: numSlots }, (_, s) => slots.includes(s));
}

/** Probabilities in [0, 1] → logits, clipped to ±logit(1 − ε) (for families that compute probabilities or copy masks). */
export function probabilitiesToLogits(probs: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const p = tf.clipByValue(probs, PROBABILITY_EPSILON, 1 - PROBABILITY_EPSILON);
    return tf.sub(tf.log(p), tf.log(tf.sub(1, p))) as tf.Tensor4D;
  });
}

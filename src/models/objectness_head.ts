/**
 * Objectness: one logit per slot saying whether the slot holds an object, so that zero-shot
 * inference can report only real objects (RVOS has no such head; its users asked for one in
 * imatge-upc/rvos#13 on GitHub). Features: the spatial mean and max of every decoder level's h for this slot,
 * concatenated (2 · (F + F/2 + F/4 + F/8) values), then one linear layer.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Dense } from './nn.js';
import type { ParamStore } from './params.js';

export class ObjectnessHead {
  private readonly dense: Dense;

  constructor(store: ParamStore, levelChannels: readonly number[]) {
    const features = 2 * levelChannels.reduce((a, b) => a + b, 0);
    this.dense = new Dense(store, 'objectness/dense', features, 1, 'decoder');
  }

  /** h of the four levels for one slot, each [B, h, w, F_k] → [B, 1] logits. */
  apply(levelH: readonly tf.Tensor4D[]): tf.Tensor2D {
    const pooled = levelH.flatMap((h) => [tf.mean(h, [1, 2]), tf.max(h, [1, 2])]) as tf.Tensor2D[];
    return this.dense.apply(tf.concat(pooled, 1));
  }

  /**
   * Every slot of a frame at once: `slotH[s]` is slot s's h of the four levels → [B, S] logits.
   * The same values as `apply` per slot, in a dozen kernels instead of a dozen per slot: the slots
   * are stacked along the batch axis (slot-major), pooled and scored together.
   */
  applySlots(slotH: readonly (readonly tf.Tensor4D[])[]): tf.Tensor2D {
    if (slotH.length === 1) return this.apply(slotH[0]!);
    const slots = slotH.length;
    const batch = slotH[0]![0]!.shape[0];
    const levels = slotH[0]!.map((_, k) =>
      tf.concat(
        slotH.map((h) => h[k]!),
        0,
      ),
    );
    const logits = this.apply(levels);
    return tf.transpose(tf.reshape(logits, [slots, batch])) as tf.Tensor2D;
  }
}

/**
 * Objectness: one logit per slot saying whether the slot holds an object, so that zero-shot
 * inference can report only real objects (RVOS has no such head; its users asked for one, RVOS
 * issue #13). Features: the spatial mean and max of every decoder level's h for this slot,
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
}

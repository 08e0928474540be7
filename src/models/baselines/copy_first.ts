/**
 * `model.family=copy_first`: the trivial one-shot baseline that repeats each object's given mask
 * in every later frame. It has no weights; the report shows it as the floor a tracker must beat.
 * As a FrameModel its state is the masks it copies: a slot takes its `prevMasks` channel (the
 * given mask) at the frame its object is given and keeps it from then on.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { FrameStepOptions, ModelStep } from '../inference_core.js';
import { probabilitiesToLogits, replaceSlots, slotRow } from '../slot_masks.js';
import { checkFrameInputs, enteringSlots, saveBaseline } from './common.js';
import { defineBaselineFamily } from './family.js';
import type { BaselineModel } from './types.js';

export interface CopyFirstConfig {
  family: 'copy_first';
  slots: number;
  seed: number;
}

/** The masks copied so far [1, H, W, S] (null before the first frame). */
type CopiedMasks = tf.Tensor4D | null;

export class CopyFirstModel implements BaselineModel {
  constructor(readonly config: CopyFirstConfig) {}

  clipLoss(): tf.Scalar {
    throw new Error('model.family=copy_first has nothing to train (it copies the given masks)');
  }

  initialState(): CopiedMasks {
    return null;
  }

  disposeState(state: CopiedMasks): void {
    state?.dispose();
  }

  step(frame: tf.Tensor4D, prevMasks: tf.Tensor4D | null, state: CopiedMasks, options: FrameStepOptions = {}): ModelStep<CopiedMasks> {
    const slots = this.config.slots;
    checkFrameInputs('copy_first', slots, frame, prevMasks);
    const copied = tf.tidy(() => {
      const base = state ?? (tf.zeros([1, frame.shape[1], frame.shape[2], slots]) as tf.Tensor4D);
      return replaceSlots(base, prevMasks!, [slotRow(enteringSlots(options, state === null, slots), slots)]);
    });
    return { logits: probabilitiesToLogits(copied), objectness: null, state: copied };
  }

  namedVariables(): Map<string, tf.Variable> {
    return new Map();
  }

  encoderVariables(): tf.Variable[] {
    return [];
  }

  async save(dir: string): Promise<void> {
    await saveBaseline(this, dir);
  }

  dispose(): void {}
}

/** model.family=copy_first (src/models/baselines/families.ts): no settings, no weights. */
export const COPY_FIRST_FAMILY = defineBaselineFamily({
  name: 'copy_first',
  settings: null,
  create: (config: CopyFirstConfig) => new CopyFirstModel(config),
  load: (_dir, config: CopyFirstConfig) => new CopyFirstModel(config),
});

/**
 * `model.family=copy_first`: the trivial one-shot baseline that repeats each object's given mask
 * in every later frame. It has no weights; the report shows it as the floor a tracker must beat.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ClipBatch, ClipLossOptions } from '../../train/clip_loss.js';
import { checkTrackerInputs, saveBaseline, withGiven } from './common.js';
import type { BaselineModel, FrameTracker, GivenObjects } from './types.js';

export interface CopyFirstConfig {
  family: 'copy_first';
  slots: number;
  seed: number;
}

export class CopyFirstModel implements BaselineModel {
  constructor(readonly config: CopyFirstConfig) {}

  clipLoss(_batch: ClipBatch, _options: ClipLossOptions): tf.Scalar {
    throw new Error('model.family=copy_first has nothing to train (it copies the given masks)');
  }

  tracker(): FrameTracker {
    const slots = this.config.slots;
    let masks: tf.Tensor4D | null = null;
    return {
      step(frame: tf.Tensor4D, given: GivenObjects | null): tf.Tensor4D {
        checkTrackerInputs('copy_first tracker', slots, frame, given);
        const base = masks ?? tf.zeros([1, frame.shape[1], frame.shape[2], slots]);
        const next = withGiven(base as tf.Tensor4D, given);
        base.dispose();
        masks = next;
        return tf.clone(next);
      },
      dispose(): void {
        masks?.dispose();
        masks = null;
      },
    };
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

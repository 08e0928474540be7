import * as tf from '@tensorflow/tfjs-core';
import { Adam } from '../../../src/train/adam.js';
import type { ClipLossOptions } from '../../../src/train/clip_loss.js';
import type { ClipBatch } from '../../../src/data/batch.js';
import type { BaselineModel, BaselineModelConfig } from '../../../src/models/baselines/index.js';
import type { FrameOutput, VideoSegmenter } from '../../../src/models/index.js';
import { gradientsFor, segmenterOf } from '../../../src/experiments/run/model_family.js';

export const SIZE = 32;
export const SLOTS = 2;
export const LOSS: ClipLossOptions = { slotAssignment: 'first_frame', objectnessWeight: 0, emptySlotWeight: 1, previousMask: 'gt_prev' };

export const MOBILE_PRIOR: BaselineModelConfig = {
  family: 'mobile_prior',
  slots: SLOTS,
  seed: 3,
  mobilePrior: { stemChannels: 8, stemKernel: 7, stageChannels: [16, 16], bottleneck: 8, denseLayers: 2, growth: 4 },
};

export const SIAMMASK: BaselineModelConfig = {
  family: 'siammask',
  slots: SLOTS,
  seed: 3,
  siammask: { channels: 8, templateSize: 16, maskSize: 8, windowInfluence: 0.4, scoreWeight: 1, boxWeight: 1, maskWeight: 2 },
};

/**
 * Clips of `length` frames with two coloured squares moving right by one pixel per frame (slot 0
 * red, slot 1 green) on a grey background: [B, L, S, S, 3] frames, [B, L, S, S, 2] masks.
 */
export function movingSquares(batch = 2, length = 3, size = SIZE): ClipBatch {
  const frames = new Float32Array(batch * length * size * size * 3).fill(0.4);
  const masks = new Float32Array(batch * length * size * size * SLOTS);
  const side = Math.round(size / 4);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < length; t++) {
      for (let s = 0; s < SLOTS; s++) {
        const x0 = 3 + t + b * 2 + s * (side + 6);
        const y0 = 4 + s * (side + 4) + b;
        for (let y = y0; y < y0 + side; y++) {
          for (let x = x0; x < x0 + side; x++) {
            const p = ((b * length + t) * size + y) * size + x;
            masks[p * SLOTS + s] = 1;
            frames.set(s === 0 ? [0.9, 0.1, 0.1] : [0.1, 0.8, 0.2], p * 3);
          }
        }
      }
    }
  }
  return {
    frames: tf.tensor5d(frames, [batch, length, size, size, 3]),
    masks: tf.tensor5d(masks, [batch, length, size, size, SLOTS]),
    present: tf.ones([batch, length, SLOTS]),
  };
}

export function disposeBatch(b: ClipBatch): void {
  tf.dispose([b.frames, b.masks, b.present, ...(b.priorMasks ? [b.priorMasks] : [])]);
}

/** `steps` Adam steps on the same batch; returns the losses. */
export async function fit(model: BaselineModel, batch: ClipBatch, steps: number, lr = 5e-3): Promise<number[]> {
  const trainable = new Map([...model.namedVariables()].filter(([, v]) => v.trainable));
  const adam = new Adam([{ variables: trainable, lr }]);
  const grads = gradientsFor(model)!;
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const g = await grads.compute(batch, LOSS);
    adam.apply(g.gradients);
    tf.dispose([...g.gradients.values()]);
    losses.push(g.loss);
  }
  adam.dispose();
  return losses;
}

/** Frame t of item 0 as [1, H, W, C]. */
export function frameOf(x: tf.Tensor5D, t: number): tf.Tensor4D {
  return tf.tidy(() => tf.squeeze(tf.slice(x, [0, t, 0, 0, 0], [1, 1, -1, -1, -1]), [1]) as tf.Tensor4D);
}

/** What the evaluator drives for a baseline: the inference core with eval's defaults (threshold 0.5, soft feed unless the family says otherwise). */
export function coreOf(model: BaselineModel, threshold = 0.5): VideoSegmenter {
  return segmenterOf(model, { previousMask: 'soft', threshold, objectnessThreshold: 0.5 });
}

/** A core output's per-slot probabilities ([1, H, W, S] flattened); disposes its logits. */
export function probabilities(out: FrameOutput): number[] {
  const p = tf.sigmoid(out.logits);
  const values = Array.from(p.dataSync());
  tf.dispose([p, out.logits]);
  return values;
}

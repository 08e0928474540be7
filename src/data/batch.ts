/** Stacks clips into the tensors a training step consumes (NHWC, time as an explicit axis). */
import * as tf from '@tensorflow/tfjs-core';
import type { Clip } from './clip.js';

/** The tensors of a batch of clips: what a training loss reads. */
export interface ClipBatch {
  /** [B, L, H, W, 3] in [0, 1]. */
  frames: tf.Tensor5D;
  /** [B, L, H, W, S] 0/1. */
  masks: tf.Tensor5D;
  /** [B, L, S] 0/1. */
  present: tf.Tensor3D;
  /** [B, H, W, S] synthesised prior masks for frame 0 (when the clips were sampled with priorMask); else frame 0's ground truth is used. */
  priorMasks?: tf.Tensor4D;
}

export interface Batch extends ClipBatch {
  /** Per clip: sequence name, start frame and dropped ids (for logging; no tensors). */
  clips: { sequence: string; start: number; droppedIds: number[] }[];
}

function stack(parts: Float32Array[] | Uint8Array[], each: number): Float32Array {
  const out = new Float32Array(parts.length * each);
  parts.forEach((p, i) => out.set(p, i * each));
  return out;
}

/** Builds a batch; every clip must have the same length, size and slot count. The caller disposes the tensors. */
export function clipsToBatch(clips: Clip[]): Batch {
  if (clips.length === 0) throw new RangeError('clipsToBatch needs at least one clip');
  const { length: L, height: H, width: W, slots: S } = clips[0]!;
  for (const c of clips) {
    if (c.length !== L || c.height !== H || c.width !== W || c.slots !== S) {
      throw new RangeError(`clipsToBatch: clip ${c.sequence}@${c.start} is ${c.length}x${c.height}x${c.width}x${c.slots}, expected ${L}x${H}x${W}x${S}`);
    }
  }
  const B = clips.length;
  const batch: Batch = {
    frames: tf.tensor5d(stack(clips.map((c) => c.frames), L * H * W * 3), [B, L, H, W, 3]),
    masks: tf.tensor5d(stack(clips.map((c) => c.masks), L * H * W * S), [B, L, H, W, S]),
    present: tf.tensor3d(stack(clips.map((c) => c.present), L * S), [B, L, S]),
    clips: clips.map((c) => ({ sequence: c.sequence, start: c.start, droppedIds: c.droppedIds })),
  };
  if (clips.every((c) => c.priorMasks !== undefined)) {
    batch.priorMasks = tf.tensor4d(stack(clips.map((c) => c.priorMasks!), H * W * S), [B, H, W, S]);
  }
  return batch;
}

/** Disposes every tensor of a batch. */
export function disposeBatch(batch: Batch): void {
  tf.dispose([batch.frames, batch.masks, batch.present, ...(batch.priorMasks ? [batch.priorMasks] : [])]);
}

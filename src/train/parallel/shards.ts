/**
 * Splitting a batch of clips along the batch axis into host-side shards (typed arrays that can
 * travel to a worker thread), and the shard-size-weighted average that puts the shards' results
 * back together. Both the worker provider and the in-thread reference use these, so they differ
 * only in where each shard's gradient is computed.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ClipBatch } from '../../data/batch.js';

/** One shard of a ClipBatch as plain arrays: frames [b,L,H,W,3], masks [b,L,H,W,S], present [b,L,S], priorMasks [b,H,W,S]. */
export interface HostShard {
  size: number;
  frames: { shape: number[]; values: Float32Array };
  masks: { shape: number[]; values: Float32Array };
  present: { shape: number[]; values: Float32Array };
  priorMasks: { shape: number[]; values: Float32Array } | null;
}

/** Shard sizes for `batch` items over at most `shards` shards, as even as possible, largest first; no empty shard. */
export function shardSizes(batch: number, shards: number): number[] {
  const n = Math.max(1, Math.min(batch, shards));
  return Array.from({ length: n }, (_, i) => Math.floor(batch / n) + (i < batch % n ? 1 : 0));
}

function split(t: tf.Tensor, sizes: number[]): { shape: number[]; values: Float32Array }[] {
  const values = t.dataSync() as Float32Array;
  const per = t.size / t.shape[0]!;
  let start = 0;
  return sizes.map((b) => {
    const part = { shape: [b, ...t.shape.slice(1)], values: values.slice(start * per, (start + b) * per) };
    start += b;
    return part;
  });
}

export function splitBatch(batch: ClipBatch, shards: number): HostShard[] {
  const sizes = shardSizes(batch.frames.shape[0], shards);
  const frames = split(batch.frames, sizes);
  const masks = split(batch.masks, sizes);
  const present = split(batch.present, sizes);
  const prior = batch.priorMasks === undefined ? null : split(batch.priorMasks, sizes);
  return sizes.map((size, i) => ({ size, frames: frames[i]!, masks: masks[i]!, present: present[i]!, priorMasks: prior?.[i] ?? null }));
}

/** Tensors of a shard (the caller disposes them). */
export function shardToBatch(shard: HostShard): ClipBatch {
  const make = (h: { shape: number[]; values: Float32Array }): tf.Tensor => tf.tensor(h.values, h.shape);
  return {
    frames: make(shard.frames) as tf.Tensor5D,
    masks: make(shard.masks) as tf.Tensor5D,
    present: make(shard.present) as tf.Tensor3D,
    ...(shard.priorMasks === null ? {} : { priorMasks: make(shard.priorMasks) as tf.Tensor4D }),
  };
}

/** Σ weights[i]·arrays[i] (null entries count as zeros); null when every entry is null. */
export function weightedSum(arrays: (Float32Array | null)[], weights: number[]): Float32Array | null {
  const first = arrays.find((a) => a !== null);
  if (first === undefined || first === null) return null;
  const out = new Float32Array(first.length);
  arrays.forEach((a, i) => {
    if (a === null) return;
    const w = weights[i]!;
    for (let j = 0; j < out.length; j++) out[j]! += w * a[j]!;
  });
  return out;
}

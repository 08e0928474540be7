/**
 * FEELVOS matching maps as extra per-slot decoder inputs (an ablation axis of this project, not
 * FEELVOS's own head; facts in docs/rvos.md).
 *
 * Per slot s and map type, two channels at stride 4: the distance of every pixel to the nearest
 * reference pixel of slot s's object (foreground), and to the nearest reference pixel NOT of that
 * object (background: FEELVOS treats the background as an object too). They are min-pooled to
 * the coarser decoder levels (the analogue of RVOS's max-pooled mask: "a near match somewhere in
 * this cell"). A label with no reference pixel gives distance 1 everywhere ("no match").
 *
 * Which references (kept in the DecoderState, so drivers need no change):
 * - one_shot: global = the frame-0 embedding with the frame-0 `prevMasks` (the given first-frame
 *   masks); local = the previous frame's embedding (frame 0: its own) with this frame's
 *   `prevMasks` (the previous frame's mask: ground truth or prediction, whatever the driver passes).
 * - zero_shot: no masks are given, so the model's own per-slot predictions (sigmoid > 0.5 at stride
 *   4) are used: global = frame-0 embedding + frame-0 predictions, local = previous frame's
 *   embedding + previous frame's predictions. Frame 0 has no reference: its maps are all 1.
 * Reference masks are thresholded at 0.5 (not differentiated); embeddings are, so the embedding
 * head learns through the decoder loss, including through the references kept from earlier frames.
 */
import * as tf from '@tensorflow/tfjs-core';
import { FEELVOS_EMBEDDING_DIM, FEELVOS_MAX_REFERENCE, globalMatchingMap, localMatchingMap, scaledLocalRadius } from '../layers/matching.js';
import { Rng } from '../utils/rng.js';
import { EmbeddingHead } from './embedding_head.js';
import type { ParamStore } from './params.js';

import type { DecoderInput } from './names.js';

export { DECODER_INPUTS, type DecoderInput } from './names.js';

export interface MatchingOptions {
  /** Embedding dimension (FEELVOS: 100). */
  embeddingDim: number;
  /**
   * Local window radius at stride 4: a number, or 'auto' = FEELVOS's 15 scaled to the map's short
   * side (scaledLocalRadius: 2 at 64x64 frames, 15 at 480p).
   */
  localRadius: number | 'auto';
  /** Reference pixels kept per label in training (FEELVOS: 1024); all at inference. */
  maxReference: number;
}

export const FEELVOS_MATCHING: MatchingOptions = {
  embeddingDim: FEELVOS_EMBEDDING_DIM,
  localRadius: 'auto',
  maxReference: FEELVOS_MAX_REFERENCE,
};

/** An embedding [B, h4, w4, D] with per-slot labels [B, h4, w4, S] (0/1), or no labels yet. */
export interface MatchingReference {
  embedding: tf.Tensor4D;
  masks: tf.Tensor4D | null;
}

/** What a frame leaves for the next one. */
export interface MatchingReferences {
  global: MatchingReference | null;
  previous: MatchingReference | null;
}

export interface FrameMatching {
  /** Per decoder level (strides 32, 16, 8, 4): [B, h_k, w_k, S·C] with slot s at channels s·C … s·C+C−1. */
  levels: tf.Tensor4D[];
  /** Embedding of this frame, needed to build the next references. */
  embedding: tf.Tensor4D;
  /** One-shot: this frame's prevMasks at stride 4 (0/1). */
  givenMasks: tf.Tensor4D | null;
}

/** [B,h,w,S] 0/1 → [B,h,w,2S] with slot s at channels 2s (foreground), 2s+1 (background). */
function withBackground(masks: tf.Tensor4D): tf.Tensor4D {
  const [b, h, w, s] = masks.shape;
  return tf.reshape(tf.stack([masks, tf.sub(1, masks)], 4), [b, h, w, 2 * s]);
}

/** Probabilities at 4x the stride-4 size (or 2x) → 0/1 labels at stride 4, by area then > 0.5. */
function toStride4(probabilities: tf.Tensor4D, size: [number, number]): tf.Tensor4D {
  let x = probabilities;
  while (x.shape[1] > size[0] || x.shape[2] > size[1]) x = tf.avgPool(x, 2, 2, 'same');
  if (x.shape[1] !== size[0] || x.shape[2] !== size[1])
    throw new Error(`matching: pooling by 2 gives ${x.shape[1]}x${x.shape[2]}, not the stride-4 size ${size[0]}x${size[1]}`);
  // Labels are constants for the tape (Greater has no gradient, and none is wanted through them).
  const binary = tf.tidy(() => tf.cast(tf.greater(x, 0.5), 'float32'));
  const labels = binary.dataSync();
  binary.dispose();
  return tf.tensor4d(labels, x.shape as [number, number, number, number]);
}

export class MatchingInputs {
  private readonly head: EmbeddingHead;
  private readonly rng: Rng;
  readonly useGlobal: boolean;
  readonly useLocal: boolean;

  constructor(
    store: ParamStore,
    stride4Channels: number,
    inputs: readonly DecoderInput[],
    readonly oneShot: boolean,
    readonly slots: number,
    readonly opts: MatchingOptions,
  ) {
    this.useGlobal = inputs.includes('global_matching');
    this.useLocal = inputs.includes('local_matching');
    this.head = new EmbeddingHead(store, stride4Channels, opts.embeddingDim);
    // Training's reference sampling; seeded by the model seed, so a fresh run is reproducible.
    this.rng = store.rngFor('matching/reference_sampling');
  }

  /** Extra decoder channels per slot: (foreground, background) per map type. */
  get channelsPerSlot(): number {
    return 2 * ((this.useGlobal ? 1 : 0) + (this.useLocal ? 1 : 0));
  }

  /**
   * This frame's maps at every decoder level.
   * @param features stride-4 backbone features [B, h4, w4, C]
   * @param prevMasks one-shot [B, H, W, S] previous masks; null in zero-shot
   * @param sizes decoder level sizes, strides 32, 16, 8, 4
   */
  frame(features: tf.Tensor4D, prevMasks: tf.Tensor4D | null, refs: MatchingReferences | null, sizes: [number, number][], training: boolean): FrameMatching {
    const embedding = this.head.apply(features);
    const [b, h, w] = embedding.shape;
    const givenMasks = this.oneShot && prevMasks !== null ? toStride4(prevMasks, [h, w]) : null;
    const parts: tf.Tensor4D[] = [];
    const none = (): tf.Tensor4D => tf.ones([b, h, w, 2 * this.slots]);
    if (this.useGlobal) {
      const ref = refs?.global ?? (givenMasks !== null ? { embedding, masks: givenMasks } : null);
      const sampling = training ? { maxReference: this.opts.maxReference, rng: this.rng } : {};
      parts.push(ref?.masks == null ? none() : globalMatchingMap(embedding, ref.embedding, withBackground(ref.masks), sampling));
    }
    if (this.useLocal) {
      const previous = refs?.previous?.embedding ?? embedding;
      const masks = givenMasks ?? refs?.previous?.masks ?? null;
      const radius = this.opts.localRadius === 'auto' ? scaledLocalRadius(h, w) : this.opts.localRadius;
      parts.push(masks === null ? none() : localMatchingMap(embedding, previous, withBackground(masks), { radius }));
    }
    // Interleave per slot: [B,h,w,S,2] per map → [B,h,w,S·C].
    const perSlot: tf.Tensor4D =
      parts.length === 1
        ? parts[0]!
        : tf.reshape<tf.Rank.R4>(
            tf.concat(
              parts.map((p) => tf.reshape(p, [b, h, w, this.slots, 2])),
              4,
            ),
            [b, h, w, this.slots * this.channelsPerSlot],
          );
    return { levels: minPyramid(perSlot, sizes), embedding, givenMasks };
  }

  /** Slot s's channels of every level. */
  slotChannels(levels: tf.Tensor4D[], s: number): tf.Tensor4D[] {
    const c = this.channelsPerSlot;
    return levels.map((l) => tf.slice(l, [0, 0, 0, s * c], [-1, -1, -1, c]));
  }

  /**
   * References for the next frame. `logits` are this frame's slot logits at stride 2
   * ([B, 2·h4, 2·w4, S]; zero-shot predictions).
   */
  next(refs: MatchingReferences | null, current: FrameMatching, logits: tf.Tensor4D): MatchingReferences {
    const [, h, w] = current.embedding.shape;
    const own = current.givenMasks ?? toStride4(tf.sigmoid(logits), [h, w]);
    const keepGlobal = refs?.global;
    return {
      // Clones: each state owns its tensors (callers dispose the previous state after a step).
      global: !this.useGlobal
        ? null
        : keepGlobal != null
          ? { embedding: tf.clone(keepGlobal.embedding), masks: tf.clone(keepGlobal.masks!) }
          : { embedding: tf.clone(current.embedding), masks: tf.clone(own) },
      previous: !this.useLocal ? null : { embedding: tf.clone(current.embedding), masks: this.oneShot ? null : tf.clone(own) },
    };
  }
}

/** Distances min-pooled (2x2, ceil mode, repeatedly) from stride 4 to each size. */
function minPyramid(maps: tf.Tensor4D, sizes: [number, number][]): tf.Tensor4D[] {
  const out = new Map<string, tf.Tensor4D>();
  let x = tf.neg(maps);
  for (;;) {
    out.set(`${x.shape[1]}x${x.shape[2]}`, x);
    if (x.shape[1] === 1 && x.shape[2] === 1) break;
    if (sizes.every(([h, w]) => out.has(`${h}x${w}`))) break;
    x = tf.maxPool(x, 2, 2, 'same');
  }
  return sizes.map(([h, w]) => {
    const t = out.get(`${h}x${w}`);
    if (t === undefined) throw new Error(`matching: pooling ${maps.shape[1]}x${maps.shape[2]} by 2 never reaches ${h}x${w}`);
    return tf.neg(t);
  });
}

export function disposeReferences(refs: MatchingReferences | null | undefined): void {
  if (refs == null) return;
  for (const r of [refs.global, refs.previous]) if (r !== null) tf.dispose([r.embedding, ...(r.masks === null ? [] : [r.masks])]);
}

/**
 * `model.family=siammask`: box-initialised tracking and segmentation (./network.ts), one tracker
 * per object. Only the box of the first mask is used (the paper's initialisation). As a
 * FrameModel its state is the trackers (template kernel and box per slot); it reads `prevMasks`
 * only in the slots the core says are entering (the given masks).
 *
 * Training (docs/baselines.md): for every object of a clip and every frame t ≥ 1 where it is
 * visible, a pair (template: frame 0 around its box; search: frame t around its box at t − 1,
 * with a random shift of up to a quarter of the crop and ±10% scale, drawn from a generator
 * seeded by the batch, so a resumed run sees the same pairs). Losses: balanced logistic loss on
 * the score map (positives within T/5 of the object centre, negatives beyond 2T/5), smooth-L1
 * box loss on the positives, and logistic + soft-IoU loss on the refined mask at the position
 * nearest the centre.
 * Inference: search around the previous box, cosine-window the scores, refine the best
 * position's mask, paste it into the frame; the next box is the mask's bounding box (the box head
 * when the mask is empty). Nothing handles disappearance (a known weakness of SiamMask).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ClipBatch } from '../../../data/batch.js';
import type { FrameStepOptions, ModelStep } from '../../inference_core.js';
import { binaryCrossEntropyWithLogits, softIoULossPerPair } from '../../losses.js';
import { forwardContext } from '../../nn.js';
import { ParamStore } from '../../params.js';
import { probabilitiesToLogits } from '../../slot_masks.js';
import { ConfigError } from '../../../utils/errors.js';
import { Rng } from '../../../utils/rng.js';
import { batchSeed, checkFrameInputs, enteringSlots, withSavedWeights, StoredBaseline } from '../common.js';
import { z } from 'zod';
import { defineBaselineFamily, setting } from '../family.js';
import type { BaselineModel } from '../types.js';
import { contextSide, cropImages, maskBox, RESPONSE_STRIDE, responseSize, squareCrop, type Box, type Crop } from './geometry.js';
import { SiamMaskNet, type SiamMaskOptions } from './network.js';

export interface SiamMaskConfig {
  family: 'siammask';
  slots: number;
  seed: number;
  siammask: SiamMaskOptions;
}

/** Training pair: batch item, slot, frame, the search crop and the object's box at frame t. */
interface Pair {
  b: number;
  s: number;
  t: number;
  template: Crop;
  search: Crop;
  target: Box;
}

/** Score-label radii as fractions of the template size (positive inside, negative outside). */
const POSITIVE_RADIUS = 0.2;
const NEGATIVE_RADIUS = 0.4;
/** Training jitter of the search crop: shift up to this fraction of its side, scale ±SCALE_JITTER. */
const SHIFT_JITTER = 0.25;
const SCALE_JITTER = 0.1;

export class SiamMaskModel extends StoredBaseline<SiamMaskConfig> implements BaselineModel {
  readonly net: SiamMaskNet;
  readonly responseSize: number;
  /** The cosine window on the score map (R × R). */
  private readonly window: Float32Array;

  private constructor(config: SiamMaskConfig, store: ParamStore) {
    super(config, store);
    this.net = new SiamMaskNet(store, config.siammask);
    this.responseSize = responseSize(config.siammask.templateSize);
    this.window = hannWindow(this.responseSize);
  }

  static create(config: SiamMaskConfig, options: { skipInit?: boolean } = {}): SiamMaskModel {
    const cfg: SiamMaskConfig = JSON.parse(JSON.stringify(config));
    const t = cfg.siammask.templateSize;
    if (!Number.isInteger(t) || t < 16 || t % 8 !== 0) throw new ConfigError(`model.siammask.template_size must be a multiple of 8 of at least 16, got ${t}`);
    if (cfg.siammask.channels % 2 !== 0) throw new ConfigError(`model.siammask.channels must be even, got ${cfg.siammask.channels}`);
    const store = new ParamStore(cfg.seed, !options.skipInit);
    try {
      return new SiamMaskModel(cfg, store);
    } catch (err) {
      store.dispose();
      throw err;
    }
  }

  static load(dir: string, config: SiamMaskConfig): SiamMaskModel {
    return withSavedWeights(dir, SiamMaskModel.create(config, { skipInit: true }));
  }

  /** Window centre of response position k along one axis, in search-crop pixels. */
  windowCentre(k: number): number {
    return RESPONSE_STRIDE * k + this.config.siammask.templateSize / 2;
  }

  private pairs(batch: ClipBatch): Pair[] {
    const [batchSize, length, height, width] = batch.frames.shape;
    const slots = this.config.slots;
    const masks = batch.masks.dataSync();
    const plane = height * width * slots;
    const box = (b: number, t: number, s: number) => maskBox(masks, height, width, slots, s, (b * length + t) * plane);
    const rng = new Rng(batchSeed(this.config.seed, masks));
    const out: Pair[] = [];
    for (let b = 0; b < batchSize; b++) {
      for (let s = 0; s < slots; s++) {
        const first = box(b, 0, s);
        if (first === null) continue;
        const template = squareCrop(first.cx, first.cy, contextSide(first));
        for (let t = 1; t < length; t++) {
          const previous = box(b, t - 1, s);
          const target = box(b, t, s);
          if (previous === null || target === null) continue;
          const side = 2 * contextSide(previous) * (1 + rng.uniform(-SCALE_JITTER, SCALE_JITTER));
          const cx = previous.cx + rng.uniform(-SHIFT_JITTER, SHIFT_JITTER) * side;
          const cy = previous.cy + rng.uniform(-SHIFT_JITTER, SHIFT_JITTER) * side;
          out.push({ b, s, t, template, search: squareCrop(cx, cy, side), target });
        }
      }
    }
    return out;
  }

  clipLoss(batch: ClipBatch, parts?: Record<string, tf.Scalar>): tf.Scalar {
    const o = this.config.siammask;
    const T = o.templateSize;
    const R = this.responseSize;
    const [batchSize, length, height, width] = batch.frames.shape;
    let pairs = this.pairs(batch);
    // A batch without any visible object still goes through the network (weight 0) so every variable gets a gradient.
    const weight = pairs.length > 0 ? 1 : 0;
    if (pairs.length === 0) {
      const whole = squareCrop(width / 2, height / 2, Math.max(width, height));
      pairs = [{ b: 0, s: 0, t: 0, template: whole, search: whole, target: { cx: width / 2, cy: height / 2, w: width / 2, h: height / 2 } }];
    }
    const frames = tf.reshape(batch.frames, [batchSize * length, height, width, 3]) as tf.Tensor4D;
    const masks = tf.reshape(batch.masks, [batchSize * length, height, width, this.config.slots]) as tf.Tensor4D;
    const templates = cropImages(
      frames,
      pairs.map((p) => p.template),
      pairs.map((p) => p.b * length),
      T,
    );
    const searches = cropImages(
      frames,
      pairs.map((p) => p.search),
      pairs.map((p) => p.b * length + p.t),
      2 * T,
    );
    // Targets in search-crop pixels.
    const scoreLabels = new Float32Array(pairs.length * R * R);
    const scoreWeights = new Float32Array(pairs.length * R * R);
    const boxTargets = new Float32Array(pairs.length * R * R * 4);
    const positions: [number, number][] = [];
    const windows: Crop[] = [];
    const clamp = (k: number) => Math.min(R - 1, Math.max(0, k));
    pairs.forEach((p, n) => {
      const k = (2 * T) / p.search.side;
      const u = (p.target.cx - p.search.x0) * k;
      const v = (p.target.cy - p.search.y0) * k;
      // Per position: 1 positive, 0 negative, −1 ignored (between the two radii).
      const kinds: number[] = [];
      for (let i = 0; i < R; i++) {
        for (let j = 0; j < R; j++) {
          const d = Math.hypot(this.windowCentre(j) - u, this.windowCentre(i) - v);
          const kind = d <= POSITIVE_RADIUS * T ? 1 : d > NEGATIVE_RADIUS * T ? 0 : -1;
          kinds.push(kind);
          if (kind === 1) {
            scoreLabels[(n * R + i) * R + j] = 1;
            boxTargets.set(
              [(u - this.windowCentre(j)) / T, (v - this.windowCentre(i)) / T, Math.log((p.target.w * k) / T), Math.log((p.target.h * k) / T)],
              ((n * R + i) * R + j) * 4,
            );
          }
        }
      }
      // Balanced: the positives and the negatives each carry half of the pair's score loss.
      const positives = kinds.filter((c) => c === 1).length;
      const negatives = kinds.filter((c) => c === 0).length;
      kinds.forEach((c, q) => {
        if (c === 1) scoreWeights[n * R * R + q] = 0.5 / positives;
        else if (c === 0) scoreWeights[n * R * R + q] = 0.5 / negatives;
      });
      const pos: [number, number] = [clamp(Math.round((v - T / 2) / RESPONSE_STRIDE)), clamp(Math.round((u - T / 2) / RESPONSE_STRIDE))];
      positions.push(pos);
      windows.push({ x0: p.search.x0 + (RESPONSE_STRIDE * pos[1]) / k, y0: p.search.y0 + (RESPONSE_STRIDE * pos[0]) / k, side: T / k });
    });
    const ctx = forwardContext(true);
    const kernels = this.net.templateKernel(templates, ctx);
    const out = this.net.search(searches, kernels, ctx);
    const refined = this.net.refine(out, positions, ctx);
    const windowMasks = cropImages(
      masks,
      windows,
      pairs.map((p) => p.b * length + p.t),
      T,
    );
    const slotPick = tf.tensor2d(
      pairs.map((p) => Array.from({ length: this.config.slots }, (_, s) => (s === p.s ? 1 : 0))),
      [pairs.length, this.config.slots],
    );
    const maskTarget = tf.cast(
      tf.greater(tf.sum(tf.mul(windowMasks, tf.reshape(slotPick, [pairs.length, 1, 1, this.config.slots])), 3, true), 0.5),
      'float32',
    ) as tf.Tensor4D;
    const labels = tf.tensor4d(scoreLabels, [pairs.length, R, R, 1]);
    const score = tf.sum(tf.mul(binaryCrossEntropyWithLogits(out.score, labels), tf.tensor4d(scoreWeights, [pairs.length, R, R, 1])));
    const positive = tf.reshape(labels, [pairs.length, R, R, 1]);
    const boxDiff = tf.abs(tf.sub(out.box, tf.tensor4d(boxTargets, [pairs.length, R, R, 4])));
    // Smooth L1 as 0.5·min(d, 1)² + (d − min(d, 1)): no comparison op, so the tape has a gradient for every step.
    const clipped = tf.minimum(boxDiff, 1);
    const smoothL1 = tf.add(tf.mul(0.5, tf.square(clipped)), tf.sub(boxDiff, clipped));
    const box = tf.div(tf.sum(tf.mul(smoothL1, positive)), tf.maximum(tf.mul(tf.sum(positive), 4), 1));
    const softIoU = tf.mean(softIoULossPerPair(refined, maskTarget));
    const mask = tf.add(tf.mean(binaryCrossEntropyWithLogits(refined, maskTarget)), softIoU);
    const scoreMean = tf.div(score, pairs.length) as tf.Scalar;
    if (parts !== undefined) {
      parts.score = tf.keep(tf.mul(scoreMean, weight) as tf.Scalar);
      parts.box = tf.keep(tf.mul(box, weight) as tf.Scalar);
      parts.mask = tf.keep(tf.mul(mask, weight) as tf.Scalar);
    }
    const total = tf.addN([tf.mul(scoreMean, o.scoreWeight), tf.mul(box, o.boxWeight), tf.mul(mask, o.maskWeight)]);
    return tf.mul(total, weight) as tf.Scalar;
  }

  initialState(): SiamMaskState {
    return { tracks: new Map() };
  }

  disposeState(state: SiamMaskState): void {
    for (const tr of state.tracks.values()) tr.kernel.dispose();
  }

  /** One frame at inference (siammask trains on template/search pairs, `clipLoss`, not frame by frame). */
  step(frame: tf.Tensor4D, prevMasks: tf.Tensor4D | null, state: SiamMaskState, options: FrameStepOptions = {}): ModelStep<SiamMaskState> {
    if (options.training === true) throw new Error('siammask: trained on template/search pairs (clipLoss), not stepped frame by frame');
    checkFrameInputs('siammask', this.config.slots, frame, prevMasks);
    if (frame.shape[0] !== 1) throw new Error(`siammask: tracks one video at a time, got a batch of ${frame.shape[0]}`);
    return this.track(frame, prevMasks!, state, enteringSlots(options, state.tracks.size === 0, this.config.slots));
  }

  /** Tracks the followed slots, then (re)starts the entering ones from their given masks. */
  private track(frame: tf.Tensor4D, prevMasks: tf.Tensor4D, state: SiamMaskState, entering: readonly number[]): ModelStep<SiamMaskState> {
    const { slots, siammask: o } = this.config;
    const [, height, width] = frame.shape;
    const T = o.templateSize;
    const R = this.responseSize;
    const probs = new Float32Array(height * width * slots);
    const givenSlots = new Set(entering);
    const ctx = forwardContext(false);
    const tracks = new Map<number, Track>();
    // Track the objects not given in this frame.
    const tracked = [...state.tracks].filter(([s]) => !givenSlots.has(s));
    if (tracked.length > 0) {
      const crops = tracked.map(([, tr]) => squareCrop(tr.box.cx, tr.box.cy, 2 * contextSide(tr.box)));
      const search = cropImages(
        frame,
        crops,
        crops.map(() => 0),
        2 * T,
      );
      const kernels = tf.concat(
        tracked.map(([, tr]) => tr.kernel),
        0,
      );
      const out = this.net.search(search, kernels, ctx);
      const scores = tf.tidy(() => tf.sigmoid(out.score));
      const scoreData = scores.dataSync();
      const boxData = out.box.dataSync();
      scores.dispose();
      const positions: [number, number][] = tracked.map((_, n) => {
        let best = -Infinity,
          bi = 0,
          bj = 0;
        for (let q = 0; q < R * R; q++) {
          const v = (1 - o.windowInfluence) * scoreData[n * R * R + q]! + o.windowInfluence * this.window[q]!;
          if (v > best) [best, bi, bj] = [v, Math.floor(q / R), q % R];
        }
        return [bi, bj];
      });
      const refined = tf.tidy(() => tf.sigmoid(this.net.refine(out, positions, ctx)));
      const maskData = refined.dataSync();
      tf.dispose([search, kernels, refined, out.score, out.box, out.mask, out.features2, out.pixels]);
      tracked.forEach(([s, tr], n) => {
        const crop = crops[n]!;
        const k = (2 * T) / crop.side;
        const [i, j] = positions[n]!;
        for (let y = 0; y < height; y++) {
          const v = Math.floor((y + 0.5 - crop.y0) * k) - RESPONSE_STRIDE * i;
          if (v < 0 || v >= T) continue;
          for (let x = 0; x < width; x++) {
            const u = Math.floor((x + 0.5 - crop.x0) * k) - RESPONSE_STRIDE * j;
            if (u >= 0 && u < T) probs[(y * width + x) * slots + s] = maskData[(n * T + v) * T + u]!;
          }
        }
        const fromMask = maskBox(probs, height, width, slots, s);
        let box: Box;
        if (fromMask !== null) {
          box = fromMask;
        } else {
          const q = ((n * R + i) * R + j) * 4;
          const [dx, dy, dw, dh] = [boxData[q]!, boxData[q + 1]!, boxData[q + 2]!, boxData[q + 3]!];
          box = {
            cx: Math.min(width, Math.max(0, crop.x0 + (this.windowCentre(j) + dx * T) / k)),
            cy: Math.min(height, Math.max(0, crop.y0 + (this.windowCentre(i) + dy * T) / k)),
            w: Math.max(2, (T * Math.exp(Math.min(dw, 3))) / k),
            h: Math.max(2, (T * Math.exp(Math.min(dh, 3))) / k),
          };
        }
        tracks.set(s, { kernel: tf.clone(tr.kernel), box });
      });
    }
    // Start (or restart) trackers from the given masks' boxes; their output is the given mask.
    if (entering.length > 0) {
      const data = prevMasks.dataSync();
      for (const s of entering) {
        const box = maskBox(data, height, width, slots, s);
        if (box === null) {
          // An empty given mask starts nothing; a tracker the slot had goes on unchanged.
          const kept = state.tracks.get(s);
          if (kept !== undefined) tracks.set(s, { kernel: tf.clone(kept.kernel), box: kept.box });
          continue;
        }
        for (let p = 0; p < height * width; p++) probs[p * slots + s] = data[p * slots + s]! > 0.5 ? 1 : 0;
        const template = cropImages(frame, [squareCrop(box.cx, box.cy, contextSide(box))], [0], T);
        const kernel = this.net.templateKernel(template, ctx);
        template.dispose();
        tracks.set(s, { kernel, box });
      }
    }
    const probabilities = tf.tensor4d(probs, [1, height, width, slots]);
    const logits = probabilitiesToLogits(probabilities);
    probabilities.dispose();
    return { logits, objectness: null, state: { tracks } };
  }
}

/** Outer product of two Hann windows of length n, row-major. */
function hannWindow(n: number): Float32Array {
  const w = Array.from({ length: n }, (_, k) => (n === 1 ? 1 : 0.5 - 0.5 * Math.cos((2 * Math.PI * (k + 1)) / (n + 1))));
  const out = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i * n + j] = w[i]! * w[j]!;
  return out;
}

interface Track {
  kernel: tf.Tensor4D;
  box: Box;
}

/** Per video: the tracker of each followed slot. A step returns a new state (kernels cloned, so the core can free the old one). */
export interface SiamMaskState {
  readonly tracks: ReadonlyMap<number, Track>;
}

/** The settings of model=siammask (configs/model/siammask.yaml): the section model.siammask. */
const SIAMMASK_SETTINGS = z.strictObject({
  channels: setting.positiveInt().refine((c) => c % 2 === 0, 'channels must be even'),
  template_size: setting.positiveInt().refine((t) => t >= 16 && t % 8 === 0, 'template_size must be a multiple of 8 of at least 16'),
  mask_size: setting.positiveInt(),
  window_influence: setting.probability(),
  score_weight: z.number().nonnegative(),
  box_weight: z.number().nonnegative(),
  mask_weight: z.number().nonnegative(),
});

/** model.family=siammask (src/models/baselines/families.ts). */
export const SIAMMASK_FAMILY = defineBaselineFamily({
  name: 'siammask',
  settings: SIAMMASK_SETTINGS,
  create: (config: SiamMaskConfig, options) => SiamMaskModel.create(config, options),
  load: (dir, config: SiamMaskConfig) => SiamMaskModel.load(dir, config),
});

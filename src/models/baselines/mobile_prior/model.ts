/**
 * `model.family=mobile_prior`: the prior-mask network (./network.ts) as a one-shot model. Each
 * object is one forward pass (the objects of a frame run as one batch) on RGB + that object's
 * previous-frame mask; there is no recurrence beyond the prior mask.
 *
 * Training (docs/baselines.md): frame 0 of a clip gets a prior synthesised from its ground truth
 * (empty / affine / thin-plate-spline, src/data/prior_mask.ts, the data pipeline's `priorMasks`);
 * later frames get the previous frame's ground truth (stage gt_prev) or the model's own detached,
 * thresholded output (stage pred_prev), as RVOS's ST+ schedule; an object that enters the clip
 * later gets its mask there (train/clip_loss.ts `withEnteringObjects`). Loss: soft IoU per present
 * object (+ the empty-slot term), summed over frames, like RVOS's.
 * Inference: the prior is the given mask where an object is given, else the previous output
 * thresholded at 0.5 (the blog feeds the previous frame's binary mask); only the objects given so
 * far run, so a frame costs one pass per object, not per slot.
 */
import * as tf from '@tensorflow/tfjs-core';
import { detach, forwardContext, type ForwardContext } from '../../nn.js';
import { ParamStore } from '../../params.js';
import { withEnteringObjects, type ClipBatch, type ClipLossOptions } from '../../../train/clip_loss.js';
import { emptyMaskLossPerPair, softIoULossPerPair, weightedMean } from '../../../train/losses.js';
import { batchSeed, checkTrackerInputs, normalizeRgb, StoredBaseline, withGiven, withSavedWeights } from '../common.js';
import { Rng } from '../../../utils/rng.js';
import type { BaselineModel, FrameTracker, GivenObjects, MobilePriorOptions } from '../types.js';
import { MobilePriorNet } from './network.js';

export interface MobilePriorConfig {
  family: 'mobile_prior';
  slots: number;
  seed: number;
  mobilePrior: MobilePriorOptions;
}

export class MobilePriorModel extends StoredBaseline<MobilePriorConfig> implements BaselineModel {
  private constructor(
    config: MobilePriorConfig,
    store: ParamStore,
    private readonly net: MobilePriorNet,
  ) {
    super(config, store);
  }

  static create(config: MobilePriorConfig, options: { skipInit?: boolean } = {}): MobilePriorModel {
    const cfg: MobilePriorConfig = JSON.parse(JSON.stringify(config));
    const store = new ParamStore(cfg.seed, !options.skipInit);
    try {
      return new MobilePriorModel(cfg, store, new MobilePriorNet(store, cfg.mobilePrior));
    } catch (err) {
      store.dispose();
      throw err;
    }
  }

  static load(dir: string, config: MobilePriorConfig): MobilePriorModel {
    return withSavedWeights(dir, MobilePriorModel.create(config, { skipInit: true }));
  }

  /**
   * Every slot of every batch item in one forward pass.
   * @param frame [B, H, W, 3] RGB in [0, 1]
   * @param prior [B, H, W, K] previous-frame masks of K slots (all of the model's, or a subset)
   * @returns logits [B, H, W, K]
   */
  forward(frame: tf.Tensor4D, prior: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D {
    const [b, h, w] = frame.shape;
    const s = prior.shape[3];
    return tf.tidy(() => {
      const rgb = normalizeRgb(frame);
      // Slot-major batch: item k = slot floor(k / B) of batch item k mod B.
      const rgbs =
        s === 1
          ? rgb
          : tf.concat(
              Array.from({ length: s }, () => rgb),
              0,
            );
      const priors = tf.reshape(tf.transpose(prior, [3, 0, 1, 2]), [s * b, h, w, 1]);
      const logits = this.net.apply(tf.concat([rgbs, priors], 3) as tf.Tensor4D, ctx);
      for (const update of ctx.updates) update();
      return tf.transpose(tf.reshape(logits, [s, b, h, w]), [1, 2, 3, 0]) as tf.Tensor4D;
    });
  }

  clipLoss(batch: ClipBatch, options: ClipLossOptions, parts?: Record<string, tf.Scalar>): tf.Scalar {
    const [batchSize, length] = batch.frames.shape;
    const slots = this.config.slots;
    const present = batch.present.arraySync();
    const frames = tf.unstack(batch.frames, 1) as tf.Tensor4D[];
    const masks = tf.unstack(batch.masks, 1) as tf.Tensor4D[];
    const shift = this.config.mobilePrior.priorShift ?? 0;
    // Seeded by the batch, so that a resumed run draws the same shifts.
    const rng = shift > 0 ? new Rng(batchSeed(this.config.seed, batch.masks.dataSync())) : null;
    const maskTerms: tf.Scalar[] = [];
    const emptyTerms: tf.Scalar[] = [];
    let previous: tf.Tensor4D | null = null;
    for (let t = 0; t < length; t++) {
      let prior: tf.Tensor4D;
      if (t === 0) prior = batch.priorMasks ?? masks[0]!;
      else if (options.previousMask === 'gt_prev') prior = rng === null ? masks[t - 1]! : shiftedPriors(masks[t - 1]!, shift, rng);
      else
        prior = detach((this.config.mobilePrior.priorInput === 'soft' ? tf.sigmoid(previous!) : tf.cast(tf.greater(previous!, 0), 'float32')) as tf.Tensor4D);
      prior = withEnteringObjects(prior, masks[t]!, present, t);
      const logits = this.forward(frames[t]!, prior, forwardContext(true));
      previous = logits;
      const holds = tf.tensor2d(
        present.map((rows) => Array.from({ length: slots }, (_, s) => (rows[t]![s]! > 0 ? 1 : 0))),
        [batchSize, slots],
      );
      maskTerms.push(weightedMean(softIoULossPerPair(logits, masks[t]!), holds));
      if (options.emptySlotWeight > 0) emptyTerms.push(weightedMean(emptyMaskLossPerPair(logits), tf.sub(1, holds) as tf.Tensor2D));
    }
    const mask = tf.addN(maskTerms) as tf.Scalar;
    const empty = emptyTerms.length > 0 ? (tf.addN(emptyTerms) as tf.Scalar) : tf.scalar(0);
    if (parts !== undefined) {
      parts.mask = tf.keep(tf.clone(mask));
      parts.empty = tf.keep(tf.clone(empty));
    }
    return tf.add(mask, tf.mul(empty, options.emptySlotWeight)) as tf.Scalar;
  }

  tracker(): FrameTracker {
    return new MobilePriorTracker(this);
  }
}

/**
 * `masks` [B, H, W, S] with each channel moved by its own random whole-pixel shift of up to
 * `fraction` of min(H, W) in x and y (zeros shifted in). The previous frame's exact mask is off by
 * one frame's motion only, while at inference the prior is the model's own previous output, which
 * can lag by more (MaskTrack's deformed priors, applied to every frame rather than the first
 * only). Measured: it did not move mobile_prior off the copy floor (docs/baselines.md).
 */
export function shiftedPriors(masks: tf.Tensor4D, fraction: number, rng: Rng): tf.Tensor4D {
  const [b, h, w, s] = masks.shape;
  const reach = Math.floor(fraction * Math.min(h, w));
  if (reach === 0) return masks;
  const transforms: number[] = [];
  for (let k = 0; k < b * s; k++) {
    const dx = rng.int(-reach, reach);
    const dy = rng.int(-reach, reach);
    // Output pixel (x, y) reads input pixel (x - dx, y - dy).
    transforms.push(1, 0, -dx, 0, 1, -dy, 0, 0);
  }
  return tf.tidy(() => {
    const channels = tf.reshape(tf.transpose(masks, [0, 3, 1, 2]), [b * s, h, w, 1]) as tf.Tensor4D;
    const moved = tf.image.transform(channels, tf.tensor2d(transforms, [b * s, 8]), 'nearest', 'constant', 0);
    return tf.transpose(tf.reshape(moved, [b, s, h, w]), [0, 2, 3, 1]) as tf.Tensor4D;
  });
}

class MobilePriorTracker implements FrameTracker {
  /** The previous frame's masks as the next prior [1, H, W, S] (binary or soft, `priorInput`), and which slots have been given. */
  private previous: tf.Tensor4D | null = null;
  private readonly active = new Set<number>();

  constructor(private readonly model: MobilePriorModel) {}

  step(frame: tf.Tensor4D, given: GivenObjects | null): tf.Tensor4D {
    const slots = this.model.config.slots;
    checkTrackerInputs('mobile_prior tracker', slots, frame, given);
    for (const s of given?.slots ?? []) this.active.add(s);
    const [, h, w] = frame.shape;
    const base = this.previous ?? tf.zeros([1, h, w, slots]);
    const prior = withGiven(base as tf.Tensor4D, given);
    if (base !== this.previous) base.dispose();
    // Only the objects given so far run (one pass each, as one batch); the other slots stay empty.
    const active = [...this.active].sort((a, b) => a - b);
    const probs = tf.tidy(() => {
      if (active.length === 0) return tf.zeros([1, h, w, slots]) as tf.Tensor4D;
      const run = active.length === slots ? prior : tf.gather(prior, active, 3);
      const out = tf.sigmoid(this.model.forward(frame, run as tf.Tensor4D, forwardContext(false))) as tf.Tensor4D;
      if (active.length === slots) return out;
      // Back to all slots: slot s takes channel k of the output where active[k] = s, else the zero channel.
      const channel = Array.from({ length: slots }, (_, s) => {
        const k = active.indexOf(s);
        return k < 0 ? active.length : k;
      });
      return tf.gather(tf.concat([out, tf.zeros([1, h, w, 1])], 3), channel, 3) as tf.Tensor4D;
    });
    prior.dispose();
    this.previous?.dispose();
    this.previous =
      this.model.config.mobilePrior.priorInput === 'soft' ? tf.clone(probs) : tf.tidy(() => tf.cast(tf.greater(probs, 0.5), 'float32') as tf.Tensor4D);
    return probs;
  }

  dispose(): void {
    this.previous?.dispose();
    this.previous = null;
  }
}

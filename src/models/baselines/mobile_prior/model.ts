/**
 * `model.family=mobile_prior`: the prior-mask network (./network.ts) as a one-shot FrameModel.
 * Each object is one forward pass (the objects of a frame run as one batch) on RGB + that object's
 * previous-frame mask; there is no recurrence beyond the prior mask, so the state is empty.
 *
 * Training (docs/baselines.md) is the frame-by-frame clip loss every FrameModel gets
 * (src/train/clip_loss.ts): frame 0 of a clip gets a prior synthesised from its ground truth
 * (empty / affine / thin-plate-spline, src/data/prior_mask.ts, the data pipeline's `priorMasks`);
 * later frames get the previous frame's ground truth (stage gt_prev, moved by `priorShift` when
 * set) or the model's own detached output fed back as `previousMask` says (stage pred_prev), as
 * RVOS's ST+ schedule; soft IoU per present object (+ the empty-slot term), summed over frames.
 * Inference: the inference core's rules (the given masks at frames 0 and 1 and where an object
 * enters, else the previous output fed back as eval says); only the objects given so far run,
 * so a frame costs one pass per object, not per slot.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ClipBatch } from '../../../data/batch.js';
import type { FrameStepOptions, ModelStep } from '../../inference_core.js';
import type { PreviousMaskFeed } from '../../names.js';
import { forwardContext, type ForwardContext } from '../../nn.js';
import { ParamStore } from '../../params.js';
import { PROBABILITY_EPSILON } from '../../slot_masks.js';
import { Rng } from '../../../utils/rng.js';
import { batchSeed, checkFrameInputs, normalizeRgb, StoredBaseline, withSavedWeights } from '../common.js';
import { z } from 'zod';
import { PREVIOUS_MASK_FEEDS } from '../../names.js';
import { defineBaselineFamily, setting } from '../family.js';
import type { BaselineModel } from '../types.js';
import { MobilePriorNet, type MobilePriorOptions } from './network.js';

/** The logit of a slot that does not run (no object given yet): probability ε, never reported. */
const IDLE_LOGIT = Math.log(PROBABILITY_EPSILON / (1 - PROBABILITY_EPSILON));

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

  /** Stage pred_prev of the clip loss: how the model's own detached output becomes the next prior. */
  get predictionFeed(): PreviousMaskFeed {
    return this.config.mobilePrior.previousMask ?? 'binary';
  }

  /**
   * Stage gt_prev of the clip loss: each later frame's prior moved by `priorShift` (shiftedPriors),
   * drawn from a generator seeded by the batch, so that a resumed run draws the same shifts; null
   * when the prior is the exact previous mask.
   */
  groundTruthPriors(batch: ClipBatch): ((previous: tf.Tensor4D) => tf.Tensor4D) | null {
    const shift = this.config.mobilePrior.priorShift ?? 0;
    if (shift <= 0) return null;
    const rng = new Rng(batchSeed(this.config.seed, batch.masks.dataSync()));
    return (previous) => shiftedPriors(previous, shift, rng);
  }

  /** No memory between frames beyond the prior, which the caller passes. */
  initialState(): null {
    return null;
  }

  disposeState(): void {}

  /**
   * One frame: in training every slot of every batch item; at inference only the slots of the
   * objects given so far (`options.given`), the others get a constant near-zero probability.
   * @param prevMasks [B, H, W, S] the prior of every slot
   */
  step(frame: tf.Tensor4D, prevMasks: tf.Tensor4D | null, _state: null, options: FrameStepOptions = {}): ModelStep<null> {
    const slots = this.config.slots;
    checkFrameInputs('mobile_prior', slots, frame, prevMasks);
    if (options.training === true || options.given === undefined || options.given.length === slots)
      return { logits: this.forward(frame, prevMasks!, forwardContext(options.training === true)), objectness: null, state: null };
    const active = [...options.given].sort((a, b) => a - b);
    const [b, h, w] = frame.shape;
    const logits = tf.tidy(() => {
      const idle = tf.fill([b, h, w, 1], IDLE_LOGIT) as tf.Tensor4D;
      if (active.length === 0) return tf.tile(idle, [1, 1, 1, slots]) as tf.Tensor4D;
      const out = this.forward(frame, tf.gather(prevMasks!, active, 3) as tf.Tensor4D, forwardContext(false));
      // Back to all slots: slot s takes channel k of the output where active[k] = s, else the idle channel.
      const channel = Array.from({ length: slots }, (_, s) => {
        const k = active.indexOf(s);
        return k < 0 ? active.length : k;
      });
      return tf.gather(tf.concat([out, idle], 3), channel, 3) as tf.Tensor4D;
    });
    return { logits, objectness: null, state: null };
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

/** The settings of model=mobile_prior (configs/model/mobile_prior.yaml): the section model.mobile_prior. */
const MOBILE_PRIOR_SETTINGS = z.strictObject({
  stem_channels: setting.positiveInt(),
  stem_kernel: setting.positiveInt(),
  stage_channels: z.tuple([setting.positiveInt(), setting.positiveInt()]),
  bottleneck: setting.positiveInt(),
  dense_layers: setting.nonNegativeInt(),
  growth: setting.positiveInt(),
  /** Training: each later frame's ground-truth prior moved by up to this fraction of the frame's short side (0 = exact). */
  prior_shift: setting.probability().default(0),
  /** 1: DenseNet layers and logits at the input's resolution; 2: at half (the first version). */
  dense_stride: z.union([z.literal(1), z.literal(2)], { error: 'expected 1 or 2' }).default(2),
  /**
   * How the previous output is fed back as the prior, in inference and in training stage
   * pred_prev: binary (thresholded; the published network's binary prior) or soft (its
   * probabilities). eval.previous_mask's values; this family's own key because it also decides
   * training (configs/README.md, "Feeding back the previous mask").
   */
  previous_mask: z.enum(PREVIOUS_MASK_FEEDS).default('binary'),
});

/** Model folders saved before mobilePrior.previousMask had that name call it priorInput (same values). */
function olderSaved(config: MobilePriorConfig): MobilePriorConfig {
  if (config.mobilePrior == null || !('priorInput' in config.mobilePrior)) return config;
  const { priorInput, ...rest } = config.mobilePrior as MobilePriorOptions & { priorInput?: PreviousMaskFeed };
  return { ...config, mobilePrior: { ...rest, previousMask: priorInput } };
}

/** model.family=mobile_prior (src/models/baselines/families.ts). */
export const MOBILE_PRIOR_FAMILY = defineBaselineFamily({
  name: 'mobile_prior',
  settings: MOBILE_PRIOR_SETTINGS,
  create: (config: MobilePriorConfig, options) => MobilePriorModel.create(config, options),
  load: (dir, config: MobilePriorConfig) => MobilePriorModel.load(dir, config),
  upgradeSaved: olderSaved,
  // The published network trains on synthesised priors (docs/baselines.md).
  trainsOnPriorMasks: true,
});

/**
 * The model-family seam for the survey's other systems (docs/baselines.md): what a family other
 * than RVOS implements so that the trainer, save/load, the evaluator and `rvos infer` can drive
 * it. A family is one-shot (semi-supervised protocol): it is given masks (or boxes derived from
 * them) of the objects where they first appear, and tracks each object in its own slot.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { ClipBatch, ClipLossOptions } from '../../train/clip_loss.js';

export const BASELINE_FAMILIES = ['mobile_prior', 'siammask', 'copy_first'] as const;
export type BaselineFamily = (typeof BASELINE_FAMILIES)[number];

/** Google's mobile prior-mask network (sizes in docs/baselines.md). */
export interface MobilePriorOptions {
  /** Channels of the large-kernel stride-4 stem. */
  stemChannels: number;
  /** Stem kernel size (large, per the blog). */
  stemKernel: number;
  /** Channels of the two downsampling stages (strides 8 and 16). */
  stageChannels: [number, number];
  /** Bottleneck width of every ResNet block (the blog: 16 instead of 64). */
  bottleneck: number;
  /** DenseNet layers at full resolution at the end, and their growth rate. */
  denseLayers: number;
  growth: number;
  /** Resolution of the DenseNet layers and the logits: 1 = the input's, 2 = half (absent = 2, the first version). */
  denseStride?: 1 | 2;
  /** The prior after frame 0: the previous output thresholded at 0.5 ('binary', absent) or its probabilities ('soft'). */
  priorInput?: 'binary' | 'soft';
  /**
   * Training only: in stage gt_prev, each later frame's prior (the previous frame's ground truth)
   * is moved by a random shift of up to this fraction of the frame's short side, per object (0 or
   * absent = the exact previous mask).
   */
  priorShift?: number;
}

/** SiamMask scaled to CPU sizes (docs/baselines.md). */
export interface SiamMaskOptions {
  /** Backbone width (the paper: 256 after its adjust layer). */
  channels: number;
  /** Template crop side in pixels (paper: 127); the search crop is twice as large (paper: 255). */
  templateSize: number;
  /** Side of the per-position mask vector (paper: 63). */
  maskSize: number;
  /** Cosine-window weight on the score map at inference (SiamFC/SiamMask's window influence). */
  windowInfluence: number;
  /** Loss weights of the three heads. */
  scoreWeight: number;
  boxWeight: number;
  maskWeight: number;
}

interface CommonConfig {
  /** Object slots (one tracker per object). */
  slots: number;
  seed: number;
}

export type BaselineModelConfig =
  | (CommonConfig & { family: 'mobile_prior'; mobilePrior: MobilePriorOptions })
  | (CommonConfig & { family: 'siammask'; siammask: SiamMaskOptions })
  | (CommonConfig & { family: 'copy_first' });

/** Objects given at one frame: their masks [1, H, W, S] (only `slots` are read). */
export interface GivenObjects {
  masks: tf.Tensor4D;
  slots: number[];
}

/** Per-video state of one model: frame in, per-slot probabilities out. */
export interface FrameTracker {
  /**
   * @param frame [1, H, W, 3] RGB in [0, 1] at the network size (the caller keeps ownership)
   * @param given objects that first appear in this frame (frame 0: the first masks), or null
   * @returns [1, H, W, S] foreground probabilities; slots never given stay 0. The caller disposes it.
   */
  step(frame: tf.Tensor4D, given: GivenObjects | null): tf.Tensor4D;
  dispose(): void;
}

export interface BaselineModel {
  readonly config: BaselineModelConfig;
  /** Every variable by stable name (BatchNorm moving statistics included, trainable === false). */
  namedVariables(): Map<string, tf.Variable>;
  /** Variables trained at train.encoder_lr (the backbone). */
  encoderVariables(): tf.Variable[];
  /** The training loss of one batch of clips (call inside tf.variableGrads); parts for logging. */
  clipLoss(batch: ClipBatch, options: ClipLossOptions, parts?: Record<string, tf.Scalar>): tf.Scalar;
  /** A fresh tracker for one video. */
  tracker(): FrameTracker;
  save(dir: string): Promise<void>;
  dispose(): void;
}

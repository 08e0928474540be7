/**
 * The model-family seam for the survey's other systems (docs/baselines.md): what a family other
 * than RVOS implements so that the trainer, save/load, the evaluator and `rvos infer` can drive
 * it. A family is a {@link FrameModel} run by the inference core (src/models/inference_core.ts),
 * one-shot (semi-supervised protocol): it is given masks (or boxes derived from them) of the
 * objects where they first appear, and follows each object in its own slot.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { ClipBatch } from '../../data/batch.js';
import type { FrameModel } from '../inference_core.js';
import type { PreviousMaskFeed } from '../names.js';

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
  /**
   * The prior fed back from the model's own output ('binary', absent: thresholded; 'soft': its
   * probabilities): in training stage pred_prev, and at inference as the core's previous-mask feed.
   */
  previousMask?: PreviousMaskFeed;
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

export interface BaselineModel extends FrameModel {
  readonly config: BaselineModelConfig;
  /** Every variable by stable name (BatchNorm moving statistics included, trainable === false). */
  namedVariables(): Map<string, tf.Variable>;
  /** Variables trained at train.encoder_lr (the backbone). */
  encoderVariables(): tf.Variable[];
  /**
   * A family whose objective is not the frame-by-frame clip loss of src/train/clip_loss.ts
   * (siammask: template/search pairs) computes its own loss of one batch (inside
   * tf.variableGrads), with its parts for logging. Absent: the clip loss trains it.
   */
  clipLoss?(batch: ClipBatch, parts?: Record<string, tf.Scalar>): tf.Scalar;
  save(dir: string): Promise<void>;
  dispose(): void;
}

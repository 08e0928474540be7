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
import type { PreviousMaskFeed, SegmentationMode } from '../names.js';

/** What every family's model config holds (src/models/baselines/family.ts adds its settings). */
export interface BaselineCommonConfig {
  /** model.family. */
  family: string;
  /** Object slots (one tracker per object). */
  slots: number;
  seed: number;
  /** model.mode, for a family that implements zero-shot too (BaselineFamilyDefinition.modes); absent: one_shot. */
  mode?: SegmentationMode;
}

export interface BaselineModel extends FrameModel {
  readonly config: BaselineCommonConfig;
  /**
   * How the model's own output is fed back as its previous-mask input when it was trained to take
   * it one way (mobile_prior: model.mobile_prior.previous_mask): in training stage pred_prev
   * (src/train/clip_loss.ts) and at inference in place of eval.previous_mask. Absent: as eval says.
   */
  readonly predictionFeed?: PreviousMaskFeed;
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

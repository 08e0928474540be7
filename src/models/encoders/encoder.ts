/**
 * What every backbone gives the RVOS decoder: features at strides 4, 8, 16 and 32 of one frame.
 * Variables are named 'encoder/<layer>/<weight>' with the layer names of the matching Keras
 * architecture where one exists (so pretrained TF.js layers models load by layer name).
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { ForwardContext } from '../nn.js';

export const ENCODER_NAMES = ['resnet18', 'resnet34', 'resnet50', 'resnet101', 'light', 'mobilenetv2'] as const;
export type EncoderName = (typeof ENCODER_NAMES)[number];

/**
 * Which backbone weights train: 'none' (all train), 'all' (none train), or a number N: the last N
 * units of the backbone train and the ones before are frozen (mobilenetv2 only). Frozen parts run
 * off the gradient tape with inference-mode BatchNorm.
 */
export type EncoderFreeze = 'none' | 'all' | number;
export const ENCODER_FREEZE_WORDS = ['none', 'all'] as const;

/** Where a truncated backbone stops: the stride of its deepest features (32 = the whole network). */
export const OUTPUT_STRIDES = [32, 16, 8] as const;
export type OutputStride = (typeof OUTPUT_STRIDES)[number];

/** Features of one frame, finest first: strides 4, 8, 16, 32. */
export type FeaturePyramid = [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];

export interface Encoder {
  readonly name: EncoderName;
  /** Channels of the four feature maps (strides 4, 8, 16, 32). */
  readonly channels: [number, number, number, number];
  /**
   * Pairs (conv layer, BatchNorm layer that directly follows it) for pretrained loading: a conv
   * bias in the file with no counterpart here is folded into that BatchNorm's moving mean.
   */
  readonly convBnPairs: ReadonlyMap<string, string>;
  /** Whether `forward` also reads the previous frame (a motion cue); only the light encoder offers it. */
  readonly motionInput?: boolean;
  /**
   * frame [B, H, W, 3] RGB in [0, 1] → features at strides 4, 8, 16, 32 (each ceil(H / stride)).
   * `previous` (same shape; null on a video's first frame) is read only by motion-input encoders.
   */
  forward(frame: tf.Tensor4D, ctx: ForwardContext, previous?: tf.Tensor4D | null): FeaturePyramid;
  /** Releases tensors the encoder holds outside the ParamStore (normalisation constants). */
  dispose(): void;
}

/** Variable-name prefix of every encoder variable. */
export const ENCODER_PREFIX = 'encoder/';

/** ImageNet RGB statistics used by torchvision models (mean, std). */
export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

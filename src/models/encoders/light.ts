/**
 * A light backbone for CPU experiments, trained from scratch (no pretrained weights exist).
 *
 * stem: 3x3 conv stride 2 → 16 channels; then four stages, each a 3x3 conv stride 2 followed by
 * one residual depthwise-separable block (3x3 depthwise + BN + ReLU, 1x1 conv + BN, add, ReLU):
 *   stride 4: 24, stride 8: 32, stride 16: 48, stride 32: 64 channels.
 * ≈ 63 k parameters; all padding symmetric (ceil(n / 2) per stage). `encoder.width_multiplier`
 * scales every width (2: 32 / 48 / 64 / 96 / 128 channels): the encoder runs once per frame and the
 * decoder once per slot, so a wider encoder costs a step less than a wider decoder.
 *
 * With `motionInput` the stem also sees the frame difference to the previous frame (3 more
 * channels, normalised like the frame): a motion cue for zero-shot segmentation, where moving
 * objects are what DAVIS calls salient and the static background shares the objects' textures.
 */
import * as tf from '@tensorflow/tfjs-core';
import { normalizeInput } from '../../layers/normalize_input.js';
import { ConvBn, DepthwiseConv2D, BatchNorm, type ForwardContext } from '../nn.js';
import { ConfigError } from '../../utils/errors.js';
import type { ParamStore } from '../params.js';
import { ENCODER_PREFIX, IMAGENET_MEAN, IMAGENET_STD, type Encoder, type FeaturePyramid } from './encoder.js';

export const LIGHT_STEM_CHANNELS = 16;
export const LIGHT_STAGE_CHANNELS: [number, number, number, number] = [24, 32, 48, 64];

/**
 * A width scaled by `encoder.width_multiplier`, rounded to a multiple of 8 and never below 8 (the
 * rounding of MobileNet's width multiplier, Howard et al. 2017 / Sandler et al. 2018).
 */
export function scaledWidth(channels: number, multiplier: number): number {
  return Math.max(8, Math.round((channels * multiplier) / 8) * 8);
}

interface Stage {
  down: ConvBn;
  depthwise: DepthwiseConv2D;
  depthwiseBn: BatchNorm;
  pointwise: ConvBn;
}

export class LightEncoder implements Encoder {
  readonly name = 'light' as const;
  readonly channels: [number, number, number, number];
  readonly convBnPairs = new Map<string, string>();
  private readonly stem: ConvBn;
  private readonly stages: Stage[] = [];
  private readonly mean: tf.Tensor1D;
  private readonly std: tf.Tensor1D;

  constructor(
    store: ParamStore,
    freezeBatchNorm = false,
    readonly motionInput = false,
    widthMultiplier = 1,
  ) {
    if (!(widthMultiplier > 0) || !Number.isFinite(widthMultiplier)) {
      throw new ConfigError(`encoder.width_multiplier: must be a positive number, got ${String(widthMultiplier)}`);
    }
    this.channels = LIGHT_STAGE_CHANNELS.map((c) => scaledWidth(c, widthMultiplier)) as [number, number, number, number];
    const stemChannels = scaledWidth(LIGHT_STEM_CHANNELS, widthMultiplier);
    const p = ENCODER_PREFIX;
    const convBn = (layer: string, inC: number, outC: number, kernel: number, stride: number): ConvBn => {
      this.convBnPairs.set(`${layer}_conv`, `${layer}_bn`);
      return new ConvBn(store, `${p}${layer}_conv`, `${p}${layer}_bn`, inC, outC, { kernel, stride, padding: 'symmetric' }, 'encoder', 1e-5, freezeBatchNorm);
    };
    this.stem = convBn('stem', motionInput ? 6 : 3, stemChannels, 3, 2);
    let inC = stemChannels;
    this.channels.forEach((outC, i) => {
      const id = `stage${i + 1}`;
      this.stages.push({
        down: convBn(`${id}_down`, inC, outC, 3, 2),
        depthwise: new DepthwiseConv2D(store, `${p}${id}_depthwise`, outC, { kernel: 3 }, 'encoder'),
        depthwiseBn: new BatchNorm(store, `${p}${id}_depthwise_bn`, outC, 'encoder', 1e-5, freezeBatchNorm),
        pointwise: convBn(`${id}_pointwise`, outC, outC, 1, 1),
      });
      this.convBnPairs.set(`${id}_depthwise`, `${id}_depthwise_bn`);
      inC = outC;
    });
    this.mean = tf.keep(tf.tensor1d([...IMAGENET_MEAN]));
    this.std = tf.keep(tf.tensor1d([...IMAGENET_STD]));
  }

  forward(frame: tf.Tensor4D, ctx: ForwardContext, previous: tf.Tensor4D | null = null): FeaturePyramid {
    let x = normalizeInput(frame, this.mean, this.std, this.motionInput ? (previous ?? frame) : null);
    x = this.stem.apply(x, ctx, 'relu');
    const feats: tf.Tensor4D[] = [];
    for (const s of this.stages) {
      x = s.down.apply(x, ctx, 'relu');
      const y = tf.relu(s.depthwiseBn.apply(s.depthwise.apply(x), ctx));
      x = tf.relu(tf.add(x, s.pointwise.apply(y, ctx))) as tf.Tensor4D;
      feats.push(x);
    }
    return feats as FeaturePyramid;
  }

  dispose(): void {
    this.mean.dispose();
    this.std.dispose();
  }
}

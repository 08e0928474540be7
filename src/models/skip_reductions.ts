/**
 * RVOS skip reductions: each backbone feature map (strides 4, 8, 16, 32) goes through a 3x3 conv
 * + BatchNorm, no ReLU, to hidden/4, hidden/2, hidden, hidden channels (RVOS `model.py`).
 * They train with the decoder's learning rate.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { FeaturePyramid } from './encoders/encoder.js';
import { ConvBn, type ForwardContext } from './nn.js';
import type { ParamStore } from './params.js';

export const SKIP_STRIDES = [4, 8, 16, 32] as const;

/** Output channels for strides 4, 8, 16, 32. */
export function skipChannels(hidden: number): [number, number, number, number] {
  return [hidden / 4, hidden / 2, hidden, hidden];
}

/** Reduced skips, coarsest first as the decoder consumes them: strides 32, 16, 8, 4. */
export type DecoderSkips = [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];

export class SkipReductions {
  private readonly units: ConvBn[];

  constructor(store: ParamStore, encoderChannels: readonly number[], hidden: number) {
    const out = skipChannels(hidden);
    this.units = SKIP_STRIDES.map(
      (s, i) =>
        new ConvBn(
          store,
          `skip/s${s}_conv`,
          `skip/s${s}_bn`,
          encoderChannels[i]!,
          out[i]!,
          { kernel: 3, padding: 'symmetric', bias: true, init: 'torchDefault' },
          'decoder',
        ),
    );
  }

  apply(features: FeaturePyramid, ctx: ForwardContext): DecoderSkips {
    const reduced = features.map((f, i) => this.units[i]!.apply(f, ctx));
    return reduced.reverse() as DecoderSkips;
  }
}

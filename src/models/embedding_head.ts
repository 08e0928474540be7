/**
 * FEELVOS pixel-embedding head (Voigtlaender et al., CVPR 2019): a depthwise 3x3 and a pointwise
 * 1x1 convolution over the backbone's stride-4 features → one D-dimensional embedding per pixel.
 * It trains with the decoder's learning rate, through the matching maps (src/layers/matching.ts).
 *
 * The pointwise kernel starts small (std 1/√(2·D·C)) so that squared embedding distances start
 * near 1: the distance tanh(‖·‖²/2) saturates at 1 for large ones and would pass no gradient.
 * There is no bias: a shared offset cancels in every distance.
 */
import * as tf from '@tensorflow/tfjs-core';
import { DepthwiseConv2D } from './nn.js';
import type { ParamStore } from './params.js';

export class EmbeddingHead {
  private readonly depthwise: DepthwiseConv2D;
  private readonly pointwise: tf.Variable;

  constructor(
    store: ParamStore,
    inChannels: number,
    readonly dim: number,
  ) {
    this.depthwise = new DepthwiseConv2D(store, 'matching/embedding_dw', inChannels, { kernel: 3, padding: 'symmetric' }, 'decoder');
    const std = 1 / Math.sqrt(2 * dim * inChannels);
    this.pointwise = store.create('matching/embedding_pw/kernel', [1, 1, inChannels, dim], { kind: 'normal', std }, 'decoder');
  }

  /** Stride-4 features [B, h, w, C] → embeddings [B, h, w, D]. */
  apply(features: tf.Tensor4D): tf.Tensor4D {
    return tf.conv2d(this.depthwise.apply(features), this.pointwise as tf.Tensor4D, 1, 'valid');
  }
}

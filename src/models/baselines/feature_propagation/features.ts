/**
 * Per-pixel features for label propagation: what ./model.ts matches. The real extractor is the
 * frozen, truncated ImageNet MobileNetV2 (src/models/encoders/mobilenet_v2.ts, stopped at its
 * stride-8 tap) read at one tap; tests use small hand-made features through the same interface.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { MobileNetV2Encoder } from '../../encoders/mobilenet_v2.js';
import { forwardContext } from '../../nn.js';
import type { ParamStore } from '../../params.js';
import { assignPretrained, readPretrained } from '../../pretrained.js';

export interface FeatureExtractor {
  /** Input pixels per feature cell; a [1, H, W, 3] frame gives ceil(H / stride) x ceil(W / stride) cells. */
  readonly stride: number;
  /** frame [1, H, W, 3] RGB in [0, 1] → [1, ceil(H / stride), ceil(W / stride), C] (not normalised). */
  features(frame: tf.Tensor4D): tf.Tensor4D;
  /** Assigns pretrained weights to the extractor's variables in `store` (absent: it has none). */
  loadPretrained?(store: ParamStore, source: string): Promise<void>;
  dispose(): void;
}

/** Index of a tap in the encoder's pyramid (strides 4, 8, 16, 32). */
const TAP_INDEX: Record<4 | 8, number> = { 4: 0, 8: 1 };

/** The frozen MobileNetV2 up to block_6's expansion; `tapStride` 4 reads block_3_expand_relu, 8 block_6_expand_relu. */
export class MobileNetV2Features implements FeatureExtractor {
  private readonly encoder: MobileNetV2Encoder;

  constructor(
    store: ParamStore,
    readonly stride: 4 | 8,
  ) {
    this.encoder = new MobileNetV2Encoder(store, { freeze: 'all', outputStride: 8 });
  }

  features(frame: tf.Tensor4D): tf.Tensor4D {
    return this.encoder.forward(frame, forwardContext(false))[TAP_INDEX[this.stride]];
  }

  async loadPretrained(store: ParamStore, source: string): Promise<void> {
    assignPretrained(store, this.encoder, await readPretrained(source), source);
  }

  dispose(): void {
    this.encoder.dispose();
  }
}

/**
 * `encoder.freeze: all` for any backbone: its weights stop training, its BatchNorms run in
 * inference mode and its forward pass runs off the gradient tape (nn.ts `untaped`), so training
 * does no backward pass through it and keeps none of its activations. (mobilenetv2 freezes by
 * itself, also partly; see mobilenet_v2.ts.)
 */
import type * as tf from '@tensorflow/tfjs-core';
import { forwardContext, untaped, type ForwardContext } from '../nn.js';
import type { ParamStore } from '../params.js';
import { ENCODER_PREFIX, type Encoder, type FeaturePyramid } from './encoder.js';

export class FrozenEncoder implements Encoder {
  readonly name: Encoder['name'];
  readonly channels: Encoder['channels'];
  readonly convBnPairs: Encoder['convBnPairs'];
  readonly motionInput?: boolean;

  /** Freezes every encoder variable in `store` (create `inner` first). */
  constructor(
    private readonly inner: Encoder,
    store: ParamStore,
  ) {
    this.name = inner.name;
    this.channels = inner.channels;
    this.convBnPairs = inner.convBnPairs;
    if (inner.motionInput !== undefined) this.motionInput = inner.motionInput;
    for (const name of store.named().keys()) if (name.startsWith(ENCODER_PREFIX)) store.freeze(name);
  }

  forward(frame: tf.Tensor4D, _ctx: ForwardContext, previous: tf.Tensor4D | null = null): FeaturePyramid {
    const inputs = previous === null ? [frame] : [frame, previous];
    return untaped(
      (x, prev) => this.inner.forward(x as tf.Tensor4D, forwardContext(false), (prev as tf.Tensor4D | undefined) ?? null),
      inputs,
    ) as FeaturePyramid;
  }

  dispose(): void {
    this.inner.dispose();
  }
}

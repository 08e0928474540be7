/**
 * A tiny segmentation-style conv net (4 convolutions, two bilinear upsamplings) used to check
 * and time training on a backend: tests/backend compare its loss curve on wasm and cpu, and
 * bench/kernels times one training step. Not part of any real model.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../../utils/rng.js';

interface ConvParams {
  filter: tf.Variable<tf.Rank.R4>;
  bias: tf.Variable<tf.Rank.R1>;
}

function heNormal(rng: Rng, shape: [number, number, number, number]): Float32Array {
  const [kh, kw, cin] = shape;
  const std = Math.sqrt(2 / (kh * kw * cin)); // He et al. 2015, ReLU initialisation
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => std * rng.normal());
}

/** A trainable variable holding `initial`'s values; `initial` itself is released. */
function variableFrom<R extends tf.Rank>(initial: tf.Tensor<R>): tf.Variable<R> {
  const v = tf.variable(initial);
  initial.dispose();
  return v;
}

export class TinyConvNet {
  private readonly convs: ConvParams[];

  /** `width` is the first layer's channel count; the input has `inChannels` channels. */
  constructor(rng: Rng, inChannels = 3, width = 16) {
    const shapes: [number, number, number, number][] = [
      [3, 3, inChannels, width],
      [3, 3, width, 2 * width],
      [3, 3, 2 * width, width],
      [3, 3, width, 1],
    ];
    this.convs = shapes.map((shape) => ({
      filter: variableFrom(tf.tensor4d(heNormal(rng, shape), shape)),
      bias: variableFrom(tf.tensor1d(Float32Array.from({ length: shape[3] }, () => 0.01 * rng.normal()))),
    }));
  }

  get variables(): tf.Variable[] {
    return this.convs.flatMap((c) => [c.filter, c.bias]);
  }

  /** Logits [B, H, W, 1] for images [B, H, W, C] (H, W divisible by 4). */
  predict(images: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const [c1, c2, c3, c4] = this.convs as [ConvParams, ConvParams, ConvParams, ConvParams];
      const [, h, w] = images.shape;
      // Fused conv with relu (unfused under a gradient tape) and fused linear (custom gradient).
      let t = tf.fused.conv2d({ x: images, filter: c1.filter, strides: 2, pad: 'same', bias: c1.bias, activation: 'relu' });
      t = tf.fused.conv2d({ x: t, filter: c2.filter, strides: 2, pad: 'same', bias: c2.bias, activation: 'relu' });
      t = tf.image.resizeBilinear(t, [h / 2, w / 2], true);
      t = tf.relu(tf.add(tf.conv2d(t, c3.filter, 1, 'same'), c3.bias)) as tf.Tensor4D;
      t = tf.image.resizeBilinear(t, [h, w], false);
      return tf.fused.conv2d({ x: t, filter: c4.filter, strides: 1, pad: 'same', bias: c4.bias });
    });
  }

  /** Mean sigmoid cross-entropy against a {0,1} mask [B, H, W, 1]. */
  loss(images: tf.Tensor4D, mask: tf.Tensor4D): tf.Scalar {
    return tf.tidy(() => tf.losses.sigmoidCrossEntropy(mask, this.predict(images)) as tf.Scalar);
  }

  /** One SGD step; returns the loss before the update. */
  trainStep(optimizer: tf.Optimizer, images: tf.Tensor4D, mask: tf.Tensor4D): number {
    const loss = optimizer.minimize(() => this.loss(images, mask), true, this.variables);
    const value = loss!.dataSync()[0]!;
    loss!.dispose();
    return value;
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
  }
}

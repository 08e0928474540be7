import * as tf from '@tensorflow/tfjs-core';
import type { RVOSModelConfig } from '../../src/models/index.js';

/** A small light-encoder config; override any key. */
export function smallConfig(overrides: Partial<RVOSModelConfig> = {}): RVOSModelConfig {
  return {
    encoder: { name: 'light', pretrained: null },
    hidden: 16,
    slots: 3,
    recurrence: 'ST',
    mode: 'zero_shot',
    objectness: false,
    seed: 7,
    ...overrides,
  };
}

/** Deterministic pseudo-random values in [0, 1) as a tensor (no global tf seed involved). */
export function pattern(shape: number[], phase = 0): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = 0.5 + 0.5 * Math.sin(0.37 * i + 1.7 * phase + 0.1 * Math.cos(0.013 * i));
  return tf.tensor(v, shape);
}

export function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

/** A 2-frame clip, batch 1, 32x48, 3 slots: object 1 in the top-left block, object 2 in the bottom-right one. */
export function twoObjectClip(): { frames: tf.Tensor5D; masks: tf.Tensor5D; present: tf.Tensor3D } {
  const [h, w, s] = [32, 48, 3];
  const m = new Float32Array(2 * h * w * s);
  for (let t = 0; t < 2; t++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const base = ((t * h + y) * w + x) * s;
        if (y < 12 && x < 16 + t) m[base] = 1;
        if (y >= 20 && x >= 30) m[base + 1] = 1;
      }
  return {
    frames: tf.stack([pattern([1, h, w, 3], 0), pattern([1, h, w, 3], 1)], 1) as tf.Tensor5D,
    masks: tf.tensor5d(m, [1, 2, h, w, s]),
    present: tf.tensor3d([
      [
        [1, 1, 0],
        [1, 1, 0],
      ],
    ]),
  };
}

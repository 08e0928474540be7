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

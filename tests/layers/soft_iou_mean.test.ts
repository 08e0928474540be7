// The soft-IoU term as one op (src/layers/soft_iou_mean.ts, kernels in
// src/backend/fused_kernels/soft_iou_mean.ts) against weightedMean(softIoULossPerPair(...)) as
// separate ops, on the wasm and the cpu backend: the loss and the logits gradient bit for bit
// (alone, and beside another term that reads the same logits), fewer kernel calls, no tensors left
// behind, and an error where a gradient for the targets is asked for.
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/index.js';
import { setFusedKernelsDisabled } from '../../src/backend/fused_kernels/index.js';
import { SOFT_IOU_MEAN } from '../../src/backend/fused_kernels/soft_iou_mean.js';
import { emptyMaskLossPerPair, softIoUWeightedMean, weightedMean } from '../../src/models/losses.js';
import { Rng } from '../../src/utils/rng.js';
import { float32Bits as bits } from '../backend/compare.js';

afterAll(async () => {
  setFusedKernelsDisabled([SOFT_IOU_MEAN], false);
  await tf.setBackend('wasm');
});

interface Case {
  label: string;
  shape: [number, number, number, number];
  /** Which pairs hold an object: 'some', 'none' (the loss is 0, its gradient ±0) or 'all'. */
  weights: 'some' | 'none' | 'all';
  /** The empty-slot term on the same logits beside it (its gradients are then summed). */
  withEmpty: boolean;
}

const cases: Case[] = [
  { label: 'the main job shape, some pairs weighted, with the empty term', shape: [4, 64, 64, 5], weights: 'some', withEmpty: true },
  { label: 'alone, some pairs weighted', shape: [2, 7, 9, 3], weights: 'some', withEmpty: false },
  { label: 'alone, every pair weighted', shape: [3, 5, 4, 2], weights: 'all', withEmpty: false },
  { label: 'no pair weighted, with the empty term', shape: [2, 6, 6, 4], weights: 'none', withEmpty: true },
];

async function run(c: Case, seed: number): Promise<{ values: number[][]; calls: number }> {
  const rng = new Rng(seed);
  const [b, h, w, s] = c.shape;
  const n = b * h * w * s;
  const logits = tf.variable(
    tf.tensor4d(
      Float32Array.from({ length: n }, () => rng.uniform(-6, 6)),
      c.shape,
    ),
  );
  const targets = tf.tensor4d(
    Float32Array.from({ length: n }, () => (rng.next() > 0.6 ? 1 : 0)),
    c.shape,
  );
  const holds = Float32Array.from({ length: b * s }, (_, k) => (c.weights === 'all' ? 1 : c.weights === 'none' ? 0 : k % 3 === 0 ? 0 : 1));
  const weights = tf.tensor2d(holds, [b, s]);
  const before = tf.memory().numTensors;
  let values: number[][] = [];
  const profile = await tf.profile(() => {
    const { value, grads } = tf.variableGrads(() => {
      const iou = softIoUWeightedMean(logits as unknown as tf.Tensor4D, targets, weights);
      if (!c.withEmpty) return iou;
      const empty = weightedMean(emptyMaskLossPerPair(logits as unknown as tf.Tensor4D), tf.sub(1, weights) as tf.Tensor2D);
      return tf.add(iou, empty) as tf.Scalar;
    }, [logits]);
    values = [bits(value), bits(grads[logits.name]!)];
    tf.dispose([value, ...Object.values(grads)]);
  });
  expect(tf.memory().numTensors).toBe(before);
  tf.dispose([logits, targets, weights]);
  return { values, calls: profile.kernels.length };
}

describe.each(['wasm', 'cpu'] as const)('soft-IoU term as one op on %s', (backend) => {
  it.each(cases)('$label: the same loss and logits gradient bit for bit, in fewer kernel calls', async (c) => {
    await initBackend(backend, { quiet: true });
    setFusedKernelsDisabled([SOFT_IOU_MEAN], true);
    const separate = await run(c, 11);
    setFusedKernelsDisabled([SOFT_IOU_MEAN], false);
    const fused = await run(c, 11);
    expect(fused.values[0], 'loss').toEqual(separate.values[0]);
    expect(fused.values[1], 'logits gradient').toEqual(separate.values[1]);
    if (c.weights !== 'none') expect(fused.values[1]!.some((x) => x !== 0)).toBe(true);
    expect(fused.calls).toBeLessThan(separate.calls - 20);
  });

  it('has no gradient for the targets', async () => {
    await initBackend(backend, { quiet: true });
    const logits = tf.zeros([1, 2, 2, 1]) as tf.Tensor4D;
    const targets = tf.ones([1, 2, 2, 1]) as tf.Tensor4D;
    const weights = tf.ones([1, 1]) as tf.Tensor2D;
    expect(() => tf.grad((t: tf.Tensor) => softIoUWeightedMean(logits, t as tf.Tensor4D, weights))(targets)).toThrow(/no gradient with respect to the targets/);
    tf.dispose([logits, targets, weights]);
  });
});

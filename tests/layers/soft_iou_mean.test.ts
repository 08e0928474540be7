// The soft-IoU term, alone or with the empty-slot term, as one op (src/layers/soft_iou_mean.ts,
// kernels in src/backend/fused_kernels/soft_iou_mean.ts) against weightedMean(softIoULossPerPair(...))
// and weightedMean(emptyMaskLossPerPair(...)) as separate ops, on the wasm and the cpu backend:
// the losses and the logits gradient bit for bit (also beside a term the op does not include that
// reads the same logits), fewer kernel calls, no tensors left behind, and an error where a gradient
// for the targets is asked for.
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/index.js';
import { setFusedKernelsDisabled } from '../../src/backend/fused_kernels/index.js';
import { SOFT_IOU_MEAN } from '../../src/backend/fused_kernels/soft_iou_mean.js';
import { emptyMaskLossPerPair, softIoUAndEmptyMeans, weightedMean } from '../../src/models/losses.js';
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
  /** The empty-slot term: in the op, beside it as ops (the logits' gradients then summed), or none. */
  empty: 'in' | 'beside' | 'none';
}

const cases: Case[] = [
  { label: 'the main job shape, with the empty term', shape: [4, 64, 64, 5], weights: 'some', empty: 'in' },
  { label: 'the main job shape, the empty term beside it', shape: [4, 64, 64, 5], weights: 'some', empty: 'beside' },
  { label: 'odd sizes, with the empty term', shape: [3, 15, 13, 5], weights: 'some', empty: 'in' },
  { label: 'alone, some pairs weighted', shape: [2, 7, 9, 3], weights: 'some', empty: 'none' },
  { label: 'alone, every pair weighted', shape: [3, 5, 4, 2], weights: 'all', empty: 'none' },
  { label: 'every pair weighted, with the empty term (no empty pair)', shape: [3, 5, 4, 2], weights: 'all', empty: 'in' },
  { label: 'no pair weighted, with the empty term', shape: [2, 9, 7, 4], weights: 'none', empty: 'in' },
  { label: 'no pair weighted, alone (the gradient is ±0)', shape: [2, 6, 6, 4], weights: 'none', empty: 'none' },
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
    const l = logits as unknown as tf.Tensor4D;
    let parts: tf.Scalar[] = [];
    const { value, grads } = tf.variableGrads(() => {
      const emptyWeights = tf.sub(1, weights) as tf.Tensor2D;
      const terms = softIoUAndEmptyMeans(l, targets, weights, c.empty === 'in' ? emptyWeights : null);
      const empty = c.empty === 'beside' ? weightedMean(emptyMaskLossPerPair(l), emptyWeights) : terms.empty;
      parts = [terms.iou, ...(empty === null ? [] : [empty])].map((t) => tf.keep(tf.clone(t)));
      // Weights as the clip loss gives them (the empty term's weight 1, objectness-like others aside).
      return (empty === null ? terms.iou : tf.add(terms.iou, tf.mul(empty, 0.75))) as tf.Scalar;
    }, [logits]);
    values = [bits(value), bits(grads[logits.name]!), ...parts.map(bits)];
    tf.dispose([value, ...Object.values(grads), ...parts]);
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
    expect(fused.values.length).toBe(c.empty === 'none' ? 3 : 4);
    expect(fused.values[0], 'loss').toEqual(separate.values[0]);
    expect(fused.values[1], 'logits gradient').toEqual(separate.values[1]);
    fused.values.slice(2).forEach((v, i) => expect(v, `term ${i}`).toEqual(separate.values[2 + i]));
    if (c.weights !== 'none' || c.empty !== 'none') expect(fused.values[1]!.some((x) => x !== 0)).toBe(true);
    expect(fused.calls).toBeLessThan(separate.calls - (c.empty === 'in' ? 30 : 20));
  });

  it('has no gradient for the targets', async () => {
    await initBackend(backend, { quiet: true });
    const logits = tf.zeros([1, 2, 2, 1]) as tf.Tensor4D;
    const targets = tf.ones([1, 2, 2, 1]) as tf.Tensor4D;
    const weights = tf.ones([1, 1]) as tf.Tensor2D;
    expect(() => tf.grad((t: tf.Tensor) => softIoUAndEmptyMeans(logits, t as tf.Tensor4D, weights, null).iou)(targets)).toThrow(
      /no gradient with respect to the targets/,
    );
    tf.dispose([logits, targets, weights]);
  });
});

// The mean binary cross-entropy as one op (src/layers/bce_mean.ts, kernels in
// src/backend/fused_kernels/bce_mean.ts) against tf.mean(binaryCrossEntropyWithLogits(...)) as
// separate ops, on the wasm and the cpu backend: the loss and the logits gradient bit for bit
// (logits of both signs, exact zeros, and large enough for exp(−|x|) to underflow), fewer kernel
// calls, no tensors left behind, and an error where a gradient for the targets is asked for.
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/index.js';
import { setFusedKernelsDisabled } from '../../src/backend/fused_kernels/index.js';
import { BCE_MEAN } from '../../src/backend/fused_kernels/bce_mean.js';
import { binaryCrossEntropyMean } from '../../src/models/losses.js';
import { Rng } from '../../src/utils/rng.js';
import { float32Bits as bits } from '../backend/compare.js';

afterAll(async () => {
  setFusedKernelsDisabled([BCE_MEAN], false);
  await tf.setBackend('wasm');
});

const cases: { label: string; shape: number[] }[] = [
  { label: 'objectness logits [4, 5]', shape: [4, 5] },
  { label: 'foreground logits [4, 64, 64, 1]', shape: [4, 64, 64, 1] },
  { label: 'odd sizes [3, 7, 5, 1]', shape: [3, 7, 5, 1] },
];

async function run(shape: number[], seed: number): Promise<{ values: number[][]; calls: number }> {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const x = Float32Array.from({ length: n }, (_, i) => (i % 17 === 0 ? 0 : i % 23 === 0 ? rng.uniform(-120, 120) : rng.uniform(-8, 8)));
  const logits = tf.variable(tf.tensor(x, shape));
  const targets = tf.tensor(
    Float32Array.from({ length: n }, () => (rng.next() > 0.5 ? 1 : 0)),
    shape,
  );
  const before = tf.memory().numTensors;
  let values: number[][] = [];
  const profile = await tf.profile(() => {
    const { value, grads } = tf.variableGrads(() => binaryCrossEntropyMean(logits, targets), [logits]);
    values = [bits(value), bits(grads[logits.name]!)];
    tf.dispose([value, ...Object.values(grads)]);
  });
  expect(tf.memory().numTensors).toBe(before);
  tf.dispose([logits, targets]);
  return { values, calls: profile.kernels.length };
}

describe.each(['wasm', 'cpu'] as const)('mean binary cross-entropy as one op on %s', (backend) => {
  it.each(cases)('$label: the same loss and logits gradient bit for bit, in fewer kernel calls', async ({ shape }) => {
    await initBackend(backend, { quiet: true });
    setFusedKernelsDisabled([BCE_MEAN], true);
    const separate = await run(shape, 5);
    setFusedKernelsDisabled([BCE_MEAN], false);
    const fused = await run(shape, 5);
    expect(fused.values[0], 'loss').toEqual(separate.values[0]);
    expect(fused.values[1], 'logits gradient').toEqual(separate.values[1]);
    expect(fused.values[1]!.some((v) => v !== 0)).toBe(true);
    expect(fused.calls).toBeLessThan(separate.calls - 15);
  });

  it('has no gradient for the targets', async () => {
    await initBackend(backend, { quiet: true });
    const logits = tf.zeros([2, 3]);
    const targets = tf.ones([2, 3]);
    expect(() => tf.grad((t: tf.Tensor) => binaryCrossEntropyMean(logits, t))(targets)).toThrow(/no gradient with respect to the targets/);
    tf.dispose([logits, targets]);
  });
});

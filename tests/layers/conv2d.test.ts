// The convolution op with a one-kernel gradient (src/layers/conv2d.ts, kernel in
// src/backend/fused_kernels/conv2d_grad.ts) against tf.fused.conv2d, on the wasm and the cpu
// backend: output and the gradients with respect to x, the filter and the bias bit for bit, fewer
// kernel calls, and no tensors left behind. The resizing variant (x upsampled inside the op)
// against the resize as its own op before either convolution.
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/index.js';
import { setFusedKernelsDisabled } from '../../src/backend/fused_kernels/index.js';
import { CONV2D_GRAD, RESIZE_CONV2D } from '../../src/backend/fused_kernels/conv2d_grad.js';
import { conv2d } from '../../src/layers/conv2d.js';
import { Rng } from '../../src/utils/rng.js';

afterAll(async () => {
  setFusedKernelsDisabled([CONV2D_GRAD, RESIZE_CONV2D], false);
  await tf.setBackend('wasm');
});

function random(rng: Rng, shape: number[]): tf.Tensor {
  return tf.tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.uniform(-1, 1)),
    shape,
  );
}

interface Case {
  label: string;
  kernel: number;
  strides: number;
  pad: 'same' | 'valid' | number;
  bias: boolean;
  /** x is [2, 4, 3, 3], resized to [7, 6] inside the op. */
  resize?: boolean;
}

const cases: Case[] = [
  { label: '3x3 same with bias', kernel: 3, strides: 1, pad: 'same', bias: true },
  { label: '3x3 symmetric stride 2 without bias', kernel: 3, strides: 2, pad: 1, bias: false },
  { label: '1x1 valid with bias', kernel: 1, strides: 1, pad: 'valid', bias: true },
  { label: '3x3 same stride 2 with bias', kernel: 3, strides: 2, pad: 'same', bias: true },
  { label: 'resized x, 3x3 symmetric with bias (the decoder head)', kernel: 3, strides: 1, pad: 1, bias: true, resize: true },
  { label: 'resized x, 1x1 valid without bias', kernel: 1, strides: 1, pad: 'valid', bias: false, resize: true },
];

const bits = (t: tf.Tensor): number[] => Array.from(new Uint32Array(Float32Array.from(t.dataSync()).buffer));

async function run(c: Case): Promise<{ values: number[][]; calls: number }> {
  const rng = new Rng(3);
  const x = random(rng, c.resize === true ? [2, 4, 3, 3] : [2, 7, 6, 3]) as tf.Tensor4D;
  const filter = random(rng, [c.kernel, c.kernel, 3, 5]) as tf.Tensor4D;
  const bias = c.bias ? random(rng, [5]) : null;
  const inputs = [x, filter, ...(bias ? [bias] : [])];
  const f = (xs: tf.Tensor[]) =>
    conv2d({
      x: xs[0] as tf.Tensor4D,
      filter: xs[1] as tf.Tensor4D,
      strides: c.strides,
      pad: c.pad,
      bias: c.bias ? xs[2]! : null,
      resize: c.resize === true ? [7, 6] : null,
    });
  const before = tf.memory().numTensors;
  let values: number[][] = [];
  const profile = await tf.profile(() => {
    const { value, grads } = tf.valueAndGrads((...xs: tf.Tensor[]) => {
      const y = f(xs);
      return tf.sum(tf.mul(y, tf.sin(tf.reshape(tf.range(0, y.size), y.shape)))) as tf.Scalar;
    })(inputs);
    const y = f(inputs);
    values = [y, value, ...grads].map(bits);
    tf.dispose([y, value, ...grads]);
  });
  expect(tf.memory().numTensors).toBe(before);
  tf.dispose(inputs);
  return { values, calls: profile.kernels.length };
}

describe.each(['wasm', 'cpu'] as const)('conv2d with a one-kernel gradient on %s', (backend) => {
  it.each(cases)('$label: the same values and gradients bit for bit as tf.fused.conv2d, in fewer kernel calls', async (c) => {
    await initBackend(backend, { quiet: true });
    setFusedKernelsDisabled([CONV2D_GRAD], true);
    const reference = await run(c);
    setFusedKernelsDisabled([CONV2D_GRAD], false);
    setFusedKernelsDisabled([RESIZE_CONV2D], true);
    const resizeApart = await run(c);
    setFusedKernelsDisabled([RESIZE_CONV2D], false);
    const got = await run(c);
    expect(got.values.length).toBe(c.bias ? 5 : 4);
    got.values.forEach((v, i) => expect(v, `value ${i}`).toEqual(reference.values[i]));
    resizeApart.values.forEach((v, i) => expect(v, `value ${i}, resize apart`).toEqual(reference.values[i]));
    for (const g of got.values.slice(2)) expect(g.some((b) => b !== 0)).toBe(true);
    expect(got.calls).toBeLessThan(reference.calls);
    // Resized inside the op: one fewer call each forward (two) and backward (one).
    expect(got.calls).toBe(resizeApart.calls - (c.resize === true ? 3 : 0));
  });
});

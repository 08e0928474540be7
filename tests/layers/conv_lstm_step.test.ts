// The fused ConvLSTM step (concatenation, gate convolution and gates as one op:
// src/layers/conv_lstm_step.ts, kernels in src/backend/fused_kernels/conv_lstm_step.ts) against the
// same ops one by one, on the wasm and the cpu backend: outputs and the gradients with respect to
// every input bit for bit, fewer kernel calls, and no tensors left behind. The resizing variant
// (the first part upsampled inside the op) against the same with the resize as its own op, and
// against the ops one by one.
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/index.js';
import { setFusedKernelsDisabled } from '../../src/backend/fused_kernels/index.js';
import { CONV_LSTM_RESIZE_STEP, CONV_LSTM_STEP } from '../../src/backend/fused_kernels/conv_lstm_step.js';
import { convLstmStep } from '../../src/layers/conv_lstm_step.js';
import { Rng } from '../../src/utils/rng.js';

afterAll(async () => {
  setFusedKernelsDisabled([CONV_LSTM_STEP, CONV_LSTM_RESIZE_STEP], false);
  await tf.setBackend('wasm');
});

const F = 4; // hidden channels: 4F = 16 gate channels

function random(rng: Rng, shape: number[], scale: number): tf.Tensor4D {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor4d(
    Float32Array.from({ length: n }, () => scale * rng.uniform(-1, 1)),
    shape as [number, number, number, number],
  );
}

interface Case {
  label: string;
  /** Channels of the input parts. */
  parts: number[];
  shared: boolean;
  spatial: boolean;
  /** Which outputs the loss reads (an unread output gets a zero gradient from the engine). */
  uses: 'h' | 'c' | 'both';
  /** The first part is [b, 2, 3, C] and resized to the step's [3, 5] inside the op. */
  resize?: boolean;
}

const cases: Case[] = [
  { label: 'one part', parts: [5], shared: true, spatial: true, uses: 'both' },
  { label: 'three parts (input, mask, states)', parts: [3, 1, F], shared: true, spatial: true, uses: 'both' },
  { label: 'no shared input', parts: [2, F], shared: false, spatial: true, uses: 'both' },
  { label: 'no spatial state', parts: [2, F], shared: true, spatial: false, uses: 'both' },
  { label: 'only h read', parts: [3, F, F], shared: true, spatial: true, uses: 'h' },
  { label: 'resized first part alone', parts: [F], shared: true, spatial: true, uses: 'both', resize: true },
  { label: 'resized first part and states', parts: [F, 1, F, F], shared: true, spatial: true, uses: 'both', resize: true },
  { label: 'resized first part, no spatial state', parts: [F, F], shared: true, spatial: false, uses: 'h', resize: true },
];

const bits = (t: tf.Tensor): number[] => Array.from(new Uint32Array(Float32Array.from(t.dataSync()).buffer));

/** Outputs and the gradients of a weighted sum of them with respect to every input, as bits; and the kernel calls. */
async function run(c: Case, seed: number): Promise<{ values: number[][]; calls: number }> {
  const rng = new Rng(seed);
  const [b, h, w] = [2, 3, 5];
  const parts = c.parts.map((ch, i) => random(rng, i === 0 && c.resize === true ? [b, 2, 3, ch] : [b, h, w, ch], 1.5));
  const kernel = random(rng, [3, 3, c.parts.reduce((s, ch) => s + ch, 0), 4 * F], 0.5);
  const shared = c.shared ? random(rng, [b, h, w, 4 * F], 2) : null;
  const cSpatial = c.spatial ? random(rng, [b, h, w, F], 1.5) : null;
  const wh = random(rng, [b, h, w, F], 1);
  const wc = random(rng, [b, h, w, F], 1);
  const inputs = [...parts, kernel, ...(shared ? [shared] : []), ...(cSpatial ? [cSpatial] : [])];
  const n = parts.length;
  const step = (xs: tf.Tensor[]) =>
    convLstmStep(
      xs.slice(0, n) as tf.Tensor4D[],
      xs[n] as tf.Tensor4D,
      c.shared ? (xs[n + 1] as tf.Tensor4D) : null,
      c.spatial ? (xs[xs.length - 1] as tf.Tensor4D) : null,
      c.resize === true ? [h, w] : null,
    );
  const before = tf.memory().numTensors;
  let values: number[][] = [];
  const profile = await tf.profile(() => {
    const out = step(inputs);
    const { value, grads } = tf.valueAndGrads((...xs: tf.Tensor[]) => {
      const s = step(xs);
      const th = tf.sum(tf.mul(s.h, wh));
      const tc = tf.sum(tf.mul(s.c, wc));
      return (c.uses === 'h' ? th : c.uses === 'c' ? tc : tf.add(th, tc)) as tf.Scalar;
    })(inputs);
    values = [out.h, out.c, value, ...grads].map(bits);
    tf.dispose([out.h, out.c, value, ...grads]);
  });
  expect(tf.memory().numTensors).toBe(before);
  tf.dispose([...inputs, wh, wc]);
  return { values, calls: profile.kernels.length };
}

describe.each(['wasm', 'cpu'] as const)('fused ConvLSTM step on %s', (backend) => {
  it.each(cases)('$label: the same outputs and gradients bit for bit as the separate ops, in fewer kernel calls', async (c) => {
    await initBackend(backend, { quiet: true });
    setFusedKernelsDisabled([CONV_LSTM_STEP], true);
    const separate = await run(c, 7);
    setFusedKernelsDisabled([CONV_LSTM_STEP], false);
    setFusedKernelsDisabled([CONV_LSTM_RESIZE_STEP], true);
    const resizeApart = await run(c, 7);
    setFusedKernelsDisabled([CONV_LSTM_RESIZE_STEP], false);
    const fused = await run(c, 7);
    expect(fused.values.length).toBe(3 + c.parts.length + 1 + (c.shared ? 1 : 0) + (c.spatial ? 1 : 0));
    fused.values.forEach((v, i) => expect(v, `output ${i}`).toEqual(separate.values[i]));
    resizeApart.values.forEach((v, i) => expect(v, `output ${i}, resize apart`).toEqual(separate.values[i]));
    // Nonzero gradients for every input (a wrong wiring would give some zeros or swap them).
    for (const g of fused.values.slice(3)) expect(g.some((x) => x !== 0)).toBe(true);
    expect(fused.calls).toBeLessThan(separate.calls - 4);
    // The resize (run twice: the plain forward and the one under the gradient) and its gradient run inside the op.
    if (c.resize === true) expect(fused.calls).toBe(resizeApart.calls - 3);
    else expect(fused.calls).toBe(resizeApart.calls);
  });
});

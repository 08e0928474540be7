// The fused ConvLSTM gate op (src/layers/lstm_gates.ts, kernels in src/backend/fused_kernels/)
// against the same formula as separate ops, on the wasm and the cpu backend: values, gradients
// with respect to every input, one kernel call each way, and no tensors left behind.
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { hasFusedKernel, setFusedKernelsEnabled } from '../../src/backend/fused_kernels/index.js';
import { LSTM_GATES } from '../../src/backend/fused_kernels/lstm_gates.js';
import { lstmGates, lstmGatesUnfused } from '../../src/layers/lstm_gates.js';
import { Rng } from '../../src/utils/rng.js';

const GRADIENT_TOLERANCE = 1e-5;
const SHAPE = [2, 3, 5, 6]; // B, h, w, F: 4F = 24 gate channels

afterAll(async () => {
  await tf.setBackend('wasm');
});

function random(rng: Rng, shape: number[], scale: number): tf.Tensor4D {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor4d(
    Float32Array.from({ length: n }, () => scale * rng.uniform(-1, 1)),
    shape as [number, number, number, number],
  );
}

type GatesFn = typeof lstmGates;

interface Case {
  label: string;
  shared: boolean;
  spatial: boolean;
  /** Which outputs the loss reads (an unread output gets a zero gradient from the engine). */
  uses: 'h' | 'c' | 'both';
}

const cases: Case[] = [
  { label: 'gates only', shared: false, spatial: false, uses: 'both' },
  { label: 'gates + c_spatial', shared: false, spatial: true, uses: 'both' },
  { label: 'gates + shared', shared: true, spatial: false, uses: 'both' },
  { label: 'gates + shared + c_spatial', shared: true, spatial: true, uses: 'both' },
  { label: 'only h read', shared: true, spatial: true, uses: 'h' },
  { label: 'only c read', shared: false, spatial: true, uses: 'c' },
];

/** Outputs and the gradient of a weighted sum of the outputs with respect to every input. */
function run(fn: GatesFn, c: Case, seed: number): Float32Array[] {
  const rng = new Rng(seed);
  const gateShape = [...SHAPE.slice(0, 3), 4 * SHAPE[3]!];
  const gates = random(rng, gateShape, 3);
  const shared = c.shared ? random(rng, gateShape, 2) : null;
  const cSpatial = c.spatial ? random(rng, SHAPE, 1.5) : null;
  const wh = random(rng, SHAPE, 1);
  const wc = random(rng, SHAPE, 1);
  const inputs = [gates, ...(shared ? [shared] : []), ...(cSpatial ? [cSpatial] : [])];
  const unpack = (xs: tf.Tensor[]): [tf.Tensor4D, tf.Tensor4D | null, tf.Tensor4D | null] => {
    let k = 1;
    return [xs[0] as tf.Tensor4D, c.shared ? (xs[k++] as tf.Tensor4D) : null, c.spatial ? (xs[k++] as tf.Tensor4D) : null];
  };
  const { h, c: cell } = fn(...unpack(inputs));
  const loss = (...xs: tf.Tensor[]): tf.Scalar => {
    const out = fn(...unpack(xs));
    const terms = [...(c.uses !== 'c' ? [tf.sum(tf.mul(out.h, wh))] : []), ...(c.uses !== 'h' ? [tf.sum(tf.mul(out.c, wc))] : [])];
    return tf.addN(terms) as tf.Scalar;
  };
  const grads = tf.grads(loss)(inputs);
  const result = [h, cell, ...grads].map((t) => Float32Array.from(t.dataSync()));
  tf.dispose([h, cell, ...grads, ...inputs, wh, wc]);
  return result;
}

function maxRelativeError(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return scale === 0 ? diff : diff / scale;
}

describe.each(['wasm', 'cpu'] as const)('lstmGates on %s', (backend) => {
  it('runs the fused kernel', async () => {
    await tf.setBackend(backend);
    expect(hasFusedKernel(LSTM_GATES)).toBe(true);
  });

  it.each(cases.map((c) => [c.label, c] as const))('%s: equals the unfused formula in value and gradient, leaks nothing', async (_label, c) => {
    await tf.setBackend(backend);
    const before = tf.memory().numTensors;
    const fused = run(lstmGates, c, 7);
    const reference = run(lstmGatesUnfused, c, 7);
    expect(tf.memory().numTensors).toBe(before);
    // h and c: the same kernels for σ and tanh and the same float32 roundings → identical.
    expect(Array.from(fused[0]!)).toEqual(Array.from(reference[0]!));
    expect(Array.from(fused[1]!)).toEqual(Array.from(reference[1]!));
    expect(fused.length).toBe(reference.length);
    for (let k = 2; k < fused.length; k++) {
      expect(maxRelativeError(fused[k]!, reference[k]!)).toBeLessThan(GRADIENT_TOLERANCE);
      expect(fused[k]!.some((v) => v !== 0)).toBe(true);
    }
  });

  it('is one kernel call forward and one backward', async () => {
    await tf.setBackend(backend);
    const rng = new Rng(3);
    const gates = random(rng, [1, 2, 2, 8], 1);
    const cs = random(rng, [1, 2, 2, 2], 1);
    const info = await tf.profile(() => {
      const g = tf.grads((z: tf.Tensor, s: tf.Tensor) => {
        const { h, c } = lstmGates(z as tf.Tensor4D, null, s as tf.Tensor4D);
        return tf.add(tf.sum(h), tf.sum(c)) as tf.Scalar;
      })([gates, cs]);
      tf.dispose(g);
    });
    const names = info.kernels.map((k) => k.name);
    expect(names.filter((n) => n === 'RvosLstmGates')).toHaveLength(1);
    expect(names.filter((n) => n === 'RvosLstmGatesGrad')).toHaveLength(1);
    expect(names).not.toContain('Sigmoid');
    expect(names).not.toContain('Tanh');
    tf.dispose([gates, cs]);
  });

  it('runs the separate ops when fused kernels are switched off (the benchmarks\' "before")', async () => {
    await tf.setBackend(backend);
    const gates = random(new Rng(4), [1, 2, 2, 8], 1);
    const previous = setFusedKernelsEnabled(false);
    try {
      const info = await tf.profile(() => tf.dispose(Object.values(lstmGates(gates, null, null))));
      expect(info.kernels.map((k) => k.name)).not.toContain(LSTM_GATES);
      expect(info.kernels.map((k) => k.name)).toContain('Sigmoid');
    } finally {
      setFusedKernelsEnabled(previous);
    }
    gates.dispose();
  });
});

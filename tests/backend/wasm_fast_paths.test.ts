// The speed paths of the wasm training kernels: the stride-phase input gradient, the cache of
// rearranged filters (its lifetime and that it never serves a stale filter), Identity without a
// copy and Tile by block copies, each against the cpu backend or the path it replaces.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { setNativeKernelsEnabled } from '../../src/backend/native/index.js';
import { derivedFilterCount } from '../../src/backend/wasm_kernels/derived_filters.js';
import { setWasmKernelOptions, wasmKernelOptions } from '../../src/backend/wasm_kernels/kernel_options.js';
import { axisPhases } from '../../src/backend/wasm_kernels/stride_phases.js';
import { Rng } from '../../src/utils/rng.js';
import { compareBackends, randomHost, relativeError, runOn, type HostTensor } from './compare.js';

const TOLERANCE = 1e-4;
const defaults = { ...wasmKernelOptions() };

afterEach(() => {
  setWasmKernelOptions(defaults);
});

// This file checks this project's wasm kernels; the oneDNN ones (when built) are checked against
// these in native_kernels.test.ts.
let nativeWas = false;
beforeAll(() => {
  nativeWas = setNativeKernelsEnabled(false);
});

afterAll(async () => {
  setNativeKernelsEnabled(nativeWas);
  await tf.setBackend('wasm');
});

interface InputGradCase {
  label: string;
  x: number[];
  filter: number[];
  strides: [number, number];
  pad: 'same' | 'valid' | number;
}

// Shapes of the RVOS encoders' strided layers (scaled down), odd and even sizes, 1x1 shortcuts
// (only one stride phase receives gradient), kernels larger than the stride, stride 3.
const cases: InputGradCase[] = [
  { label: '3x3 s2 pad 1, even', x: [2, 16, 12, 8], filter: [3, 3, 8, 16], strides: [2, 2], pad: 1 },
  { label: '3x3 s2 pad 1, odd', x: [2, 15, 11, 8], filter: [3, 3, 8, 16], strides: [2, 2], pad: 1 },
  { label: '3x3 s2 same, even', x: [1, 14, 10, 5], filter: [3, 3, 5, 7], strides: [2, 2], pad: 'same' },
  { label: '1x1 s2 shortcut', x: [2, 13, 10, 6], filter: [1, 1, 6, 12], strides: [2, 2], pad: 0 },
  { label: '7x7 s2 pad 3 stem', x: [1, 21, 18, 3], filter: [7, 7, 3, 8], strides: [2, 2], pad: 3 },
  { label: '4x2 s(3,1) valid', x: [2, 17, 9, 4], filter: [4, 2, 4, 3], strides: [3, 1], pad: 'valid' },
  { label: '3x3 s1 same (decoder gates)', x: [2, 8, 14, 12], filter: [3, 3, 12, 20], strides: [1, 1], pad: 'same' },
  { label: '2x2 s3 same', x: [2, 10, 11, 3], filter: [2, 2, 3, 5], strides: [3, 3], pad: 'same' },
];

function inputGradient(c: InputGradCase, dataFormat: 'NHWC' | 'NCHW' = 'NHWC') {
  return (dy: tf.Tensor, filter: tf.Tensor): tf.Tensor[] => {
    const inputShape = dataFormat === 'NHWC' ? c.x : [c.x[0]!, c.x[3]!, c.x[1]!, c.x[2]!];
    return [tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter }, { strides: c.strides, pad: c.pad, dataFormat, inputShape }) as tf.Tensor];
  };
}

function dyShape(c: InputGradCase): number[] {
  return tf.backend_util.computeConv2DInfo(c.x as [number, number, number, number], c.filter as [number, number, number, number], c.strides, 1, c.pad).outShape;
}

describe('Conv2DBackpropInput by stride phases', () => {
  const rng = new Rng(909);
  it.each(cases.map((c) => [c.label, c] as const))('%s: matches cpu and the zero-dilated formulation', async (_label, c) => {
    const dy = randomHost(rng, dyShape(c));
    const filter = randomHost(rng, c.filter);
    setWasmKernelOptions({ inputGradient: 'phases' });
    const phases = await compareBackends([dy, filter], inputGradient(c));
    setWasmKernelOptions({ inputGradient: 'zero_dilated' });
    const dilated = await runOn('wasm', [dy, filter], inputGradient(c));
    expect(phases.wasmLeaked).toBe(0);
    expect(phases.errors[0]).toBeLessThan(TOLERANCE);
    expect(relativeError(phases.wasm[0]!, dilated.outputs[0]!)).toBeLessThan(TOLERANCE);
  });

  it('handles NCHW', async () => {
    const c = cases[1]!;
    const nchw = (shape: number[]) => [shape[0]!, shape[3]!, shape[1]!, shape[2]!];
    const dy = randomHost(rng, nchw(dyShape(c)));
    const filter = randomHost(rng, c.filter);
    const r = await compareBackends([dy, filter], inputGradient(c, 'NCHW'));
    expect(r.wasmLeaked).toBe(0);
    expect(r.errors[0]).toBeLessThan(TOLERANCE);
  });

  it('maps every dx position to the taps of the definition (brute force, one axis)', () => {
    for (let kernel = 1; kernel <= 7; kernel++) {
      for (let stride = 1; stride <= 3; stride++) {
        for (let pad = 0; pad < kernel; pad++) {
          const inSize = 11;
          const outSize = Math.floor((inSize + 2 * pad - kernel) / stride) + 1;
          if (outSize < 1) continue;
          const phases = axisPhases(inSize, outSize, kernel, stride, pad);
          for (let i = 0; i < inSize; i++) {
            // Definition: dy[o]·W[k] reaches dx[i] when o·s + k − p = i.
            const want = new Set<string>();
            for (let o = 0; o < outSize; o++) for (let k = 0; k < kernel; k++) if (o * stride + k - pad === i) want.add(`${o},${k}`);
            const q = Math.floor(i / stride);
            const r = i % stride;
            const got = new Set<string>();
            for (let t = 0; t < phases.length; t++) {
              const k = phases.tap(r, t);
              const o = q + phases.lo + t;
              if (k >= 0 && o >= 0 && o < outSize) got.add(`${o},${k}`);
            }
            expect([...got].sort()).toEqual([...want].sort());
          }
        }
      }
    }
  });
});

describe('cache of rearranged filters', () => {
  const rng = new Rng(4242);
  const c = cases[0]!;

  function gradient(dy: tf.Tensor, filter: tf.Tensor): Float32Array {
    return tf.tidy(() => inputGradient(c)(dy, filter)[0]!.dataSync() as Float32Array);
  }

  it('reuses one filter per source, frees it with the source, and never serves a stale one after assign()', async () => {
    await tf.setBackend('wasm');
    const backend = tf.engine().backend;
    const dataBefore = backend.numDataIds();
    const tensorsBefore = tf.memory().numTensors;
    const dy = tf.tensor(randomHost(rng, dyShape(c)).values, dyShape(c));
    const first = randomHost(rng, c.filter);
    const second = randomHost(rng, c.filter);
    const variable = tf.tidy(() => tf.variable(tf.tensor(first.values, c.filter)));
    const a1 = gradient(dy, variable);
    const a2 = gradient(dy, variable);
    expect(derivedFilterCount(backend)).toBe(1);
    expect(Array.from(a2)).toEqual(Array.from(a1));
    // A new value under the same variable must give the new gradient, not the cached one.
    const next = tf.tensor(second.values, c.filter);
    variable.assign(next);
    next.dispose();
    const b = gradient(dy, variable);
    expect(derivedFilterCount(backend)).toBe(1);
    setWasmKernelOptions({ inputGradient: 'zero_dilated' });
    const secondTensor = tf.tensor(second.values, c.filter);
    const reference = gradient(dy, secondTensor);
    secondTensor.dispose();
    expect(relativeError({ shape: c.x, values: b }, { shape: c.x, values: reference })).toBeLessThan(TOLERANCE);
    expect(relativeError({ shape: c.x, values: b }, { shape: c.x, values: a1 })).toBeGreaterThan(0.1);
    variable.dispose();
    dy.dispose();
    expect(derivedFilterCount(backend)).toBe(0);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect(backend.numDataIds()).toBe(dataBefore);
  });

  it('is shared by the backward passes of one filter used several times in a gradient', async () => {
    await tf.setBackend('wasm');
    const backend = tf.engine().backend;
    const w = tf.tidy(() => tf.variable(tf.tensor(randomHost(rng, [3, 3, 4, 4]).values, [3, 3, 4, 4])));
    const x = tf.tensor(randomHost(rng, [1, 8, 8, 4]).values, [1, 8, 8, 4]) as tf.Tensor4D;
    let seen = 0;
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() => {
        // Three uses of the same filter (like three frames of a clip): one derived filter.
        let h = x;
        for (let i = 0; i < 3; i++) h = tf.tanh(tf.conv2d(h, w as tf.Tensor4D, 1, 'same'));
        return tf.sum(h) as tf.Scalar;
      }, [w]);
      seen = derivedFilterCount(backend);
      return grads[w.name]!;
    });
    expect(seen).toBe(1);
    tf.dispose([w, x]);
    expect(derivedFilterCount(backend)).toBe(0);
  });
});

describe('Identity without a copy', () => {
  it('shares the data, and the clone survives its source', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor([1, 2, 3, 4], [2, 2]);
    const y = tf.clone(x);
    expect(y.dataId).toBe(x.dataId);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4]);
    y.dispose();
  });

  it('copies when switched off', async () => {
    await tf.setBackend('wasm');
    setWasmKernelOptions({ shareIdentity: false });
    const x = tf.tensor([1, 2], [2]);
    const y = tf.clone(x);
    expect(y.dataId).not.toBe(x.dataId);
    tf.dispose([x, y]);
  });
});

describe('Tile by block copies', () => {
  const rng = new Rng(31);
  const tileCases: { shape: number[]; reps: number[] }[] = [
    { shape: [1, 1, 1, 6], reps: [2, 5, 7, 1] },
    { shape: [2, 3], reps: [3, 2] },
    { shape: [3, 1, 2], reps: [1, 4, 3] },
    { shape: [5], reps: [1] },
    { shape: [2, 2, 1, 3, 1], reps: [2, 1, 3, 1, 2] },
    { shape: [4, 2], reps: [0, 3] },
  ];
  it.each(tileCases.map((t) => [`${t.shape} x ${t.reps}`, t] as const))('%s matches cpu (float32 and int32)', async (_label, t) => {
    const x: HostTensor = randomHost(rng, t.shape, -5, 5);
    const r = await compareBackends([x], (a) => tf.tidy(() => [tf.tile(a, t.reps), tf.cast(tf.tile(tf.cast(a, 'int32'), t.reps), 'float32')]));
    expect(r.wasmLeaked).toBe(0);
    expect(r.errors[0]).toBe(0);
    expect(r.errors[1]).toBe(0);
  });
});

describe('Slice, SplitV, Unpack, Concat, Pack as heap memmoves', () => {
  const rng = new Rng(57);
  const asFloat = (t: tf.Tensor): tf.Tensor => (t.dtype === 'float32' ? t : tf.cast(t, 'float32'));
  const dtypes = ['float32', 'int32', 'bool'] as const;
  const typed = (x: tf.Tensor, dtype: (typeof dtypes)[number]): tf.Tensor =>
    dtype === 'float32' ? x : dtype === 'int32' ? tf.cast(tf.mul(x, 10), 'int32') : tf.greater(x, 0);

  const copyCases: { label: string; shape: number[]; op: (x: tf.Tensor) => tf.Tensor[] }[] = [
    { label: 'slice rank 1', shape: [17], op: (x) => [tf.slice(x, [3], [9])] },
    { label: 'slice rank 4 channels (ConvLSTM gates)', shape: [2, 5, 6, 12], op: (x) => [tf.slice(x, [0, 0, 0, 4], [-1, -1, -1, 5])] },
    { label: 'slice rank 4 window', shape: [3, 7, 8, 4], op: (x) => [tf.slice(x, [1, 2, 1, 0], [2, 3, 5, 4])] },
    { label: 'slice rank 5 time step', shape: [4, 4, 6, 5, 3], op: (x) => [tf.slice(x, [0, 2, 0, 0, 0], [4, 1, 6, 5, 3])] },
    { label: 'slice rank 6 everything partial', shape: [3, 2, 4, 3, 2, 5], op: (x) => [tf.slice(x, [1, 1, 1, 0, 1, 2], [2, 1, 2, 3, 1, 3])] },
    { label: 'slice whole / empty', shape: [2, 3], op: (x) => [tf.slice(x, [0, 0], [2, 3]), tf.slice(x, [1, 0], [0, 3])] },
    { label: 'split uneven along channels', shape: [2, 3, 4, 10], op: (x) => tf.split(x, [6, 1, 3], 3) },
    { label: 'split along axis 1', shape: [2, 6, 3], op: (x) => tf.split(x, 3, 1) },
    { label: 'unstack axis 1 rank 5', shape: [2, 3, 4, 2, 2], op: (x) => tf.unstack(x, 1) },
    { label: 'unstack axis 0 / last', shape: [3, 4, 2], op: (x) => [...tf.unstack(x, 0), ...tf.unstack(x, 2)] },
    { label: 'concat channels', shape: [2, 3, 4, 5], op: (x) => [tf.concat([x, tf.slice(x, [0, 0, 0, 1], [-1, -1, -1, 2]), x], 3)] },
    {
      label: 'concat axis 0 / 1 with an empty input',
      shape: [2, 3, 4],
      op: (x) => [tf.concat([x, x], 0), tf.concat([x, tf.slice(x, [0, 0, 0], [2, 0, 4]), x], 1)],
    },
    {
      label: 'stack axis 0 / 2 / last',
      shape: [3, 4],
      op: (x) => [tf.stack([x, x, x]), tf.stack([x, x.dtype === 'bool' ? tf.logicalNot(x) : tf.neg(x)], 1), tf.stack([x, x], 2)],
    },
  ];
  it.each(copyCases.flatMap((c) => dtypes.map((d) => [`${c.label} (${d})`, c, d] as const)))('%s matches cpu', async (_label, c, dtype) => {
    const x = randomHost(rng, c.shape);
    const r = await compareBackends([x], (t) => tf.tidy(() => c.op(typed(t, dtype)).map(asFloat)));
    expect(r.wasmLeaked).toBe(0);
    expect(r.wasm.map((o) => o.shape)).toEqual(r.cpu.map((o) => o.shape));
    expect(Math.max(0, ...r.errors)).toBe(0);
  });
});

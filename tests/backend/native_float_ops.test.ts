// The addon's elementwise kernels (native/src/elementwise.cc) against the TypeScript loops they
// replace: the fused kernels' outputs bit for bit with the native kernels on and off, on the wasm
// and the cpu backend, and the heap copies bit for bit on wasm. Skips (with the reason) when the
// addon is not built or RVOS_NATIVE=0; the TypeScript loops are then what every other test runs.
import { afterEach, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { nativeFloatOps, setNativeFloatOpsEnabled } from '../../src/backend/fused_kernels/native_ops.js';
import { originalGradient } from '../../src/backend/fused_kernels/index.js';
import { nativeAddon } from '../../src/backend/native/index.js';
import { batchNormTrain } from '../../src/layers/batch_norm_train.js';
import { lstmGates } from '../../src/layers/lstm_gates.js';
import { normalizeInput } from '../../src/layers/normalize_input.js';
import { Adam, clipByGlobalNorm } from '../../src/train/adam.js';
import { Rng } from '../../src/utils/rng.js';
import { batchNormInputs, batchNormTrainOutputs, float32Bits, normalizeInputInputs, randomTensor } from './compare.js';

const loaded = nativeAddon();
const SKIP =
  loaded.addon === undefined
    ? ` (skipped: ${loaded.reason})`
    : process.env.RVOS_NATIVE === '0'
      ? ' (skipped: RVOS_NATIVE=0, the TypeScript-only pass)'
      : nativeFloatOps() === undefined
        ? ' (skipped: the addon was built without the elementwise kernels; rebuild with `npm run setup:native`)'
        : '';
if (SKIP) console.warn(`native_float_ops.test.ts: native elementwise kernels not available${SKIP}`);

afterEach(() => {
  setNativeFloatOpsEnabled(true);
});

/** Largest |a − b| over the largest |b|, for two outputs' float32 bit patterns. */
function maxRelativeDifference(aBits: number[], bBits: number[]): number {
  const a = new Float32Array(Uint32Array.from(aBits).buffer);
  const b = new Float32Array(Uint32Array.from(bBits).buffer);
  expect(a.length).toBe(b.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}

/** Distance in representable float32 values between two finite floats of the same sign (or zero). */
function ulps(a: number, b: number): number {
  const bits = new Int32Array(new Float32Array([a, b]).buffer);
  return Math.abs(bits[0]! - bits[1]!);
}

/** Runs `compute` with the native kernels and with the TypeScript loops; returns both outputs' bit patterns (tensors disposed). */
function bothWays(compute: () => tf.Tensor[]): { native: number[][]; typescript: number[][] } {
  const once = (on: boolean): number[][] => {
    setNativeFloatOpsEnabled(on);
    const outs = compute();
    const result = outs.map(float32Bits);
    tf.dispose(outs);
    return result;
  };
  const native = once(true);
  const typescript = once(false);
  setNativeFloatOpsEnabled(true);
  return { native, typescript };
}

describe.skipIf(SKIP !== '').each(['wasm', 'cpu'] as const)('native elementwise kernels on %s', (backend) => {
  it.each([
    ['the main-job stem', [4, 8, 8, 16], 0],
    ['odd sizes, an offset mean', [3, 5, 7, 6], 40],
    ['one value per channel', [1, 1, 1, 5], 0],
    ['many channels (past one SIMD register)', [2, 3, 3, 37], -3],
  ] as const)('training batch norm (%s): outputs, statistics and gradients bit for bit the TypeScript loops', async (_label, shape, offset) => {
    await tf.setBackend(backend);
    const inputs = batchNormInputs(new Rng(41), shape, offset);
    const c = shape[3];
    const before = tf.memory().numTensors;
    const { native, typescript } = bothWays(() => batchNormTrainOutputs(batchNormTrain, inputs));
    expect(native).toEqual(typescript);
    // Not vacuous: the offset's gradient (Σ w) has non-zero values, and so has the input's where a channel has more than one value.
    const nonZero = (b: number[]): boolean => b.some((v) => (v & 0x7fffffff) !== 0);
    expect(nonZero(native[5]!)).toBe(true);
    if (inputs.x.size > c) expect(nonZero(native[3]!)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(Object.values(inputs));
  });

  it('training batch norm: a channel with a NaN or an infinity gives a positive NaN there, as the TypeScript loop', async () => {
    await tf.setBackend(backend);
    const x = tf.tidy(() => tf.concat([tf.mul(tf.fill([2, 3, 3, 1], Infinity), 0), tf.fill([2, 3, 3, 1], Infinity), tf.ones([2, 3, 3, 1])], 3)) as tf.Tensor4D;
    const { native, typescript } = bothWays(() => {
      const r = batchNormTrain(x, tf.ones([3]) as tf.Tensor1D, tf.zeros([3]) as tf.Tensor1D, 1e-5);
      return [r.y, r.mean, r.variance];
    });
    expect(native).toEqual(typescript);
    expect(native[0]!.filter((_, i) => i % 3 === 0).every((b) => b === 0x7fc00000)).toBe(true);
    tf.dispose(x);
  });

  it('ReLU and Square gradients: bit for bit (zeros, signed zeros and NaN included)', async () => {
    await tf.setBackend(backend);
    const rng = new Rng(42);
    const x = tf.concat([randomTensor(rng, [67]), tf.zeros([3]), tf.tensor1d([-0, NaN, Infinity, -Infinity])]);
    const dy = tf.concat([randomTensor(rng, [70]), tf.tensor1d([-1, 2, -3, 0])]);
    for (const kernel of [tf.Relu, tf.Square]) {
      const { native, typescript } = bothWays(() => [tf.tidy(() => tf.getGradient(kernel)!.gradFunc(dy, [x], {}).x!())]);
      expect(native, kernel).toEqual(typescript);
      const original = tf.tidy(() => originalGradient(kernel)!.gradFunc(dy, [x], {}).x!());
      expect(native[0], kernel).toEqual(float32Bits(original));
      tf.dispose(original);
    }
    tf.dispose([x, dy]);
  });

  it.each([
    ['spatial axes, kept dims', [3, 5, 4, 6], [1, 2], true],
    ['spatial axes', [3, 5, 4, 6], [1, 2], false],
    ['the last axis', [2, 3, 7], [2], false],
    ['the first and last axes', [4, 3, 5], [0, 2], true],
    ['everything', [2, 3, 4], [0, 1, 2], false],
  ] as const)('Mean and Max gradients over %s: bit for bit, ties included', async (_label, shape, axes, keepDims) => {
    await tf.setBackend(backend);
    const rng = new Rng(43);
    // Values on a coarse grid so that the maximum is tied in places.
    const x = tf.tidy(() => tf.div(tf.round(tf.mul(randomTensor(rng, [...shape]), 3)), 3));
    for (const kernel of [tf.Mean, tf.Max] as const) {
      const { native, typescript } = bothWays(() => [
        tf.tidy(() => {
          const f = (xs: tf.Tensor): tf.Tensor => (kernel === tf.Mean ? tf.mean(xs, [...axes], keepDims) : tf.max(xs, [...axes], keepDims));
          const y = f(x);
          const dy = tf.add(tf.mul(tf.onesLike(y), 0.3), tf.reshape(tf.range(0, y.size), y.shape));
          return tf.grad(f)(x, dy);
        }),
      ]);
      expect(native, kernel).toEqual(typescript);
      expect(
        native[0]!.some((b) => b !== 0),
        kernel,
      ).toBe(true);
    }
    tf.dispose(x);
  });

  it.each([
    ['shared input and c_spatial', true, true],
    ['c_spatial only', false, true],
    ['neither (c = i·g)', false, false],
  ] as const)('ConvLSTM gates (%s): h, c and the gradients bit for bit (on wasm within the tanh tolerance)', async (_label, withShared, withSpatial) => {
    await tf.setBackend(backend);
    const rng = new Rng(45);
    const shape = [2, 3, 5, 4 * 7];
    const gates = randomTensor(rng, shape, -3, 3) as tf.Tensor4D;
    const shared = withShared ? (randomTensor(rng, shape) as tf.Tensor4D) : null;
    const cSpatial = withSpatial ? (randomTensor(rng, [2, 3, 5, 7], -2, 2) as tf.Tensor4D) : null;
    const wh = randomTensor(rng, [2, 3, 5, 7]);
    const wc = randomTensor(rng, [2, 3, 5, 7]);
    const inputs = [gates, ...(shared ? [shared] : []), ...(cSpatial ? [cSpatial] : [])];
    const before = tf.memory().numTensors;
    const { native, typescript } = bothWays(() => {
      const f = (...xs: tf.Tensor[]): tf.Scalar => {
        const { h, c } = lstmGates(xs[0] as tf.Tensor4D, shared ? (xs[1] as tf.Tensor4D) : null, cSpatial ? (xs[xs.length - 1] as tf.Tensor4D) : null);
        return tf.add(tf.sum(tf.mul(h, wh)), tf.sum(tf.mul(c, wc)));
      };
      const state = tf.tidy(() => {
        const { h, c } = lstmGates(gates, shared, cSpatial);
        return [h, c];
      });
      return [...state, ...tf.grads(f)(inputs)];
    });
    if (backend === 'cpu') {
      expect(native).toEqual(typescript);
    } else {
      // On wasm the native pass's tanh is the addon's (native_tanh.ts), within 2 ulp of the built-in
      // kernel's that the TypeScript loops call; h, c and the gradients move by a few ulp of their scale.
      native.forEach((bits, k) => expect(maxRelativeDifference(bits, typescript[k]!), `output ${k}`).toBeLessThan(1e-6));
      expect(native).not.toEqual(typescript);
    }
    expect(native.length).toBe(2 + inputs.length);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([...inputs, wh, wc]);
  });

  it.each([0, 1e-2])('Adam updates and the global norm (weight decay %s): bit for bit over three steps', async (weightDecay) => {
    await tf.setBackend(backend);
    const run = (): tf.Tensor[] => {
      const rng = new Rng(46);
      const initial = [randomTensor(rng, [3, 5]), randomTensor(rng, [17])];
      const variables = new Map([
        ['a', tf.variable(initial[0]!)],
        ['b', tf.variable(initial[1]!)],
      ]);
      tf.dispose(initial);
      const adam = new Adam([{ variables, lr: 1e-2 }], { weightDecay });
      const norms: number[] = [];
      for (let step = 0; step < 3; step++) {
        const gradients = new Map([...variables].map(([name, v]) => [name, tf.tidy(() => tf.mul(randomTensor(rng, v.shape), 5))]));
        norms.push(clipByGlobalNorm(gradients, 4));
        adam.apply(gradients);
        tf.dispose([...gradients.values()]);
      }
      const out = [...[...variables.values()].map((v) => tf.clone(v)), tf.tensor1d(norms)];
      adam.dispose();
      tf.dispose([...variables.values()]);
      return out;
    };
    const before = tf.memory().numTensors;
    const { native, typescript } = bothWays(run);
    expect(native).toEqual(typescript);
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each([false, true])('input normalisation (motion %s): bit for bit', async (motion) => {
    await tf.setBackend(backend);
    const { frame, previous, mean, std } = normalizeInputInputs(new Rng(47), motion);
    const { native, typescript } = bothWays(() => [normalizeInput(frame, mean, std, previous)]);
    expect(native).toEqual(typescript);
    expect(native[0]!.length).toBe(2 * 5 * 3 * (motion ? 6 : 3));
    tf.dispose([frame, mean, std, ...(previous ? [previous] : [])]);
  });
});

describe.skipIf(SKIP !== '')('native heap copies (wasm)', () => {
  const cases: { label: string; shape: number[]; op: (x: tf.Tensor) => tf.Tensor | tf.Tensor[] }[] = [
    { label: 'slice of the last axis', shape: [2, 3, 4, 10], op: (x) => tf.slice(x, [0, 0, 0, 3], [-1, -1, -1, 5]) },
    { label: 'slice of inner axes', shape: [3, 4, 5, 6], op: (x) => tf.slice(x, [1, 1, 2, 0], [2, 2, 3, 6]) },
    { label: 'slice of every axis, rank 5', shape: [2, 3, 4, 5, 6], op: (x) => tf.slice(x, [1, 0, 1, 2, 1], [1, 3, 2, 3, 4]) },
    { label: 'slice of a whole tensor', shape: [4, 5], op: (x) => tf.slice(x, [0, 0], [4, 5]) },
    { label: 'split along channels', shape: [2, 3, 4, 12], op: (x) => tf.split(x, [3, 5, 4], 3) },
    { label: 'split along axis 1', shape: [2, 6, 3], op: (x) => tf.split(x, 3, 1) },
    { label: 'unstack', shape: [3, 4, 2], op: (x) => tf.unstack(x, 1) },
    { label: 'concat along channels', shape: [2, 3, 4, 5], op: (x) => tf.concat([x, tf.slice(x, [0, 0, 0, 1], [-1, -1, -1, 2]), tf.neg(x)], 3) },
    { label: 'concat along axis 0', shape: [2, 3, 4], op: (x) => tf.concat([x, tf.neg(x)], 0) },
    { label: 'stack', shape: [3, 4], op: (x) => tf.stack([x, tf.neg(x), x], 1) },
  ];
  it.each(cases)('$label: bit for bit the copy run by run', async ({ shape, op }) => {
    await tf.setBackend('wasm');
    const rng = new Rng(44);
    const x = randomTensor(rng, shape);
    const before = tf.memory().numTensors;
    const { native, typescript } = bothWays(() => tf.tidy(() => [op(x)].flat()));
    expect(native).toEqual(typescript);
    expect(native.flat().length).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(x);
  });

  it.each([
    ['same shapes', [2, 3, 4, 5], [2, 3, 4, 5]],
    ['a single value first', [], [3, 7]],
    ['a single value second', [4, 9], [1, 1]],
    ['one element each', [1], [1]],
  ] as const)('Add, Sub and Multiply (%s): bit for bit the built-in kernels', async (_label, shapeA, shapeB) => {
    await tf.setBackend('wasm');
    const rng = new Rng(48);
    const a = randomTensor(rng, [...shapeA], -1e3, 1e3);
    const b = randomTensor(rng, [...shapeB], -1e3, 1e3);
    const before = tf.memory().numTensors;
    const { native, typescript } = bothWays(() => [tf.add(a, b), tf.sub(a, b), tf.mul(a, b), tf.add(b, a)]);
    expect(native).toEqual(typescript);
    expect(native[0]!.length).toBe(Math.max(a.size, b.size));
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([a, b]);
  });

  it.each([
    ['a bias gradient (NHWC over batch and space)', [4, 6, 5, 8], [0, 1, 2], false],
    ['spatial pooling, kept dims', [3, 5, 4, 7], [1, 2], true],
    ['spatial axes given in reverse (the built-in path)', [3, 5, 4, 7], [2, 1], false],
    ['the first axis of a matrix', [9, 13], [0], false],
    ['a middle axis, rank 5', [2, 3, 4, 5, 6], [2], true],
    ['the last axis (the built-in path)', [3, 4, 5], [2], false],
    ['separate axes (the built-in path)', [3, 4, 5, 2], [0, 2], false],
  ] as const)('Sum, Mean and Max over %s: bit for bit the built-in kernels', async (_label, shape, axes, keepDims) => {
    await tf.setBackend('wasm');
    const rng = new Rng(49);
    // Wide-ranging values so that the order of a sum shows in its rounding.
    const x = tf.tidy(() => tf.mul(randomTensor(rng, [...shape]), tf.exp(randomTensor(rng, [...shape], -6, 6))));
    const before = tf.memory().numTensors;
    const { native, typescript } = bothWays(() => [tf.sum(x, [...axes], keepDims), tf.mean(x, [...axes], keepDims), tf.max(x, [...axes], keepDims)]);
    expect(native).toEqual(typescript);
    const expected = ([...shape] as number[]).filter((_, i) => !(axes as readonly number[]).includes(i)).reduce((n, d) => n * d, 1);
    expect(native[0]!.length).toBe(expected);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(x);
  });

  it('Max over a middle axis with NaN, infinities and signed zeros: the built-in values', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor3d([NaN, 1, -0, 0, 2, NaN, 0, -0, -Infinity, 3, Infinity, -1, -0, 0, 0, -0, -0, -0], [3, 3, 2]);
    const { native, typescript } = bothWays(() => [tf.max(x, 1), tf.sum(x, 1), tf.mean(x, 1)]);
    expect(native).toEqual(typescript);
    tf.dispose(x);
  });

  it('Add of int32 and broadcasting Add stay on the built-in kernels, with the right values', async () => {
    await tf.setBackend('wasm');
    const ints = tf.add(tf.tensor1d([1, 2, 3], 'int32'), tf.tensor1d([10, 20, 30], 'int32'));
    expect(Array.from(ints.dataSync())).toEqual([11, 22, 33]);
    const broadcast = tf.add(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor1d([10, 20]));
    expect(Array.from(broadcast.dataSync())).toEqual([11, 22, 13, 24]);
    tf.dispose([ints, broadcast]);
  });

  it('int32 and bool copies too', async () => {
    await tf.setBackend('wasm');
    const ints = tf.reshape(tf.range(0, 60, 1, 'int32'), [3, 4, 5]);
    const mask = tf.greater(ints, 29);
    const { native, typescript } = bothWays(() =>
      tf.tidy(() => [tf.cast(tf.slice(ints, [1, 1, 1], [2, 2, 3]), 'float32'), tf.cast(tf.concat([mask, mask], 2), 'float32')]),
    );
    expect(native).toEqual(typescript);
    tf.dispose([ints, mask]);
  });

  it('refuses a block outside the heap without writing', () => {
    const ops = nativeFloatOps()!;
    const heap = new Uint8Array(64).fill(7);
    expect(() => ops.copyBlocks(heap, Float64Array.from([1, 0, 60, 8, 1, 0, 0]))).toThrow(/outside the heap/);
    expect(heap.every((b) => b === 7)).toBe(true);
    expect(() => ops.reluGrad(new Float32Array(4), new Float32Array(3), new Float32Array(4))).toThrow(/same size/);
    expect(() => ops.binaryHeap(heap, Float64Array.from([0, 0, 32, 48, 8, 0, 0]))).toThrow(/outside the heap/);
    expect(() => ops.reduceMiddle(heap, Float64Array.from([0, 0, 60, 1, 2, 2]))).toThrow(/outside the heap/);
    expect(() => ops.tanhHeap(heap, Float64Array.from([0, 32, 9]))).toThrow(/outside the heap/);
    expect(() => ops.resizeBilinearGradHeap(heap, Float64Array.from([0, 56, 1, 2, 2, 3, 3, 1, 0]))).toThrow(/outside the heap/);
    expect(heap.every((b) => b === 7)).toBe(true);
  });

  it.each([
    ['upsampling x2, aligned corners (the decoder)', [4, 8, 8, 16], [16, 16], true],
    ['upsampling to an odd size, half-open', [2, 5, 7, 3], [11, 13], false],
    ['downsampling, aligned corners', [2, 9, 6, 5], [4, 3], true],
    ['one channel, one output row', [3, 4, 6, 1], [1, 12], true],
    ['the same size', [1, 4, 4, 2], [4, 4], false],
  ] as const)('ResizeBilinearGrad (%s): the exact adjoint within float32 rounding, as the built-in kernel', async (_label, shape, size, alignCorners) => {
    await tf.setBackend('wasm');
    const rng = new Rng(51);
    const x = randomTensor(rng, [...shape]) as tf.Tensor4D;
    const dy = randomTensor(rng, [shape[0], size[0], size[1], shape[3]], -1e3, 1e3);
    const before = tf.memory().numTensors;
    const { native, typescript } = bothWays(() => [tf.grad((xs: tf.Tensor) => tf.image.resizeBilinear(xs as tf.Tensor4D, [...size], alignCorners))(x, dy)]);
    expect(tf.memory().numTensors).toBe(before);
    // The adjoint in double: dx = Σ dy·weight over the output pixels that sample each input pixel
    // (the forward's weights, read off the forward applied to one-hot inputs).
    const [b, h, w, d] = shape;
    const exact = new Float64Array(x.size);
    const dyValues = dy.dataSync();
    for (let p = 0; p < h * w; p++) {
      const weights = tf.tidy(() => {
        const oneHot = new Float32Array(h * w);
        oneHot[p] = 1;
        return tf.image.resizeBilinear(tf.tensor4d(oneHot, [1, h, w, 1]), [...size], alignCorners).dataSync();
      });
      for (let n = 0; n < b; n++) {
        for (let c = 0; c < d; c++) {
          let sum = 0;
          for (let q = 0; q < weights.length; q++) sum += dyValues[(n * weights.length + q) * d + c]! * weights[q]!;
          exact[(n * h * w + p) * d + c] = sum;
        }
      }
    }
    const exactBits = Array.from(new Uint32Array(Float32Array.from(exact).buffer));
    expect(maxRelativeDifference(native[0]!, exactBits)).toBeLessThan(1e-6);
    expect(maxRelativeDifference(typescript[0]!, exactBits)).toBeLessThan(1e-6);
    expect(maxRelativeDifference(native[0]!, typescript[0]!)).toBeLessThan(1e-6);
    expect(native[0]!.some((v) => v !== 0)).toBe(true);
    tf.dispose([x, dy]);
  });

  it('Tanh: the correctly rounded value but for rare ties, within 2 ulp of the built-in kernel; signed zeros, infinities and NaN', async () => {
    await tf.setBackend('wasm');
    // A dense sweep of [-12, 12] (closer near 0), tiny and subnormal values, and the edges of the formula's ranges.
    const n = 400_000;
    const sweep = Float32Array.from({ length: n }, (_, i) => {
      const t = -12 + (24 * i) / n;
      return (t * Math.abs(t)) / 12;
    });
    const special = [0, -0, Infinity, -Infinity, NaN, 1e-45, -1e-45, 1e-38, 2 ** -10, -(2 ** -10), 2 ** -10 * 0.999, 10, -10, 10.0001, 9.9999, 88, -88];
    const values = Float32Array.from([...sweep, ...special]);
    const x = tf.tensor1d(values);
    const { native, typescript } = bothWays(() => [tf.tanh(x)]);
    const ours = new Float32Array(Uint32Array.from(native[0]!).buffer);
    const builtIn = new Float32Array(Uint32Array.from(typescript[0]!).buffer);
    let notCorrectlyRounded = 0;
    let differFromBuiltIn = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      const exact = Math.fround(Math.tanh(v));
      if (Number.isNaN(v)) {
        expect(ours[i]).toBeNaN();
        continue;
      }
      if (!Object.is(ours[i], exact)) notCorrectlyRounded++;
      expect(ulps(ours[i]!, exact), `tanh(${v})`).toBeLessThanOrEqual(1);
      expect(ulps(ours[i]!, builtIn[i]!), `tanh(${v}) against the built-in kernel`).toBeLessThanOrEqual(2);
      if (ours[i] !== builtIn[i]) differFromBuiltIn++;
    }
    expect(notCorrectlyRounded).toBeLessThanOrEqual(values.length * 1e-5);
    // Not vacuous: the built-in kernel is off on a share of the sweep that this one gets right.
    expect(differFromBuiltIn).toBeGreaterThan(n / 100);
    expect(Object.is(ours[values.length - special.length + 1], -0)).toBe(true);
    tf.dispose(x);
  });
});

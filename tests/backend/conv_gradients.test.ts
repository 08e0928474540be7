// Gradients of conv2d and depthwiseConv2d on wasm (this project's XNNPACK training kernels)
// against the cpu backend, on randomised shapes from a seeded generator.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { conv2dFilterGradient, conv2dInputGradient } from '../../src/backend/wasm_kernels/conv2d_backprop.js';
import { nativeFallback, setNativeKernelsEnabled } from '../../src/backend/native/index.js';
import { registerWasmTrainingKernels, WASM_TRAINING_KERNEL_NAMES } from '../../src/backend/wasm_kernels/index.js';
import { Rng } from '../../src/utils/rng.js';
import { compareBackends, randomHost, type HostTensor } from './compare.js';

const TOLERANCE = 1e-3;
type Shape4 = [number, number, number, number];
type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

interface ConvCase {
  x: HostTensor;
  filter: HostTensor;
  strides: [number, number];
  pad: Pad;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  depthwise: boolean;
  label: string;
}

/** A random legal case; `depthwise` makes the filter [kh, kw, cin, multiplier]. */
function randomCase(rng: Rng, depthwise: boolean, padMode: 'same' | 'valid' | 'explicit' | 'number'): ConvCase {
  const batch = rng.int(2, 3);
  const kh = rng.int(1, 7);
  const strides: [number, number] = [rng.int(1, 3), rng.int(1, 3)];
  // A numeric pad makes tfjs size BOTH output axes from the filter height and stride height
  // (conv_util computeOutputShape2D), so it is only consistent for square kernels and strides;
  // the wasm forward conv then writes past its output buffer. Keep numeric pads square.
  let kw = rng.int(1, 7);
  if (padMode === 'number') {
    kw = kh;
    strides[1] = strides[0];
  }
  const cin = rng.int(1, 4);
  const cout = depthwise ? rng.int(1, 3) : rng.int(1, 5);
  let pad: Pad = padMode === 'same' || padMode === 'valid' ? padMode : 0;
  let extraH = 0;
  let extraW = 0;
  if (padMode === 'explicit') {
    const [t, b, l, r] = [rng.int(0, 3), rng.int(0, 3), rng.int(0, 3), rng.int(0, 3)];
    pad = [
      [0, 0],
      [t, b],
      [l, r],
      [0, 0],
    ];
    [extraH, extraW] = [t + b, l + r];
  } else if (padMode === 'number') {
    pad = rng.int(0, 2);
    [extraH, extraW] = [2 * pad, 2 * pad];
  }
  // Odd and even sizes, always at least one output pixel.
  const h = Math.max(1, kh - extraH) + rng.int(0, 10);
  const w = Math.max(1, kw - extraW) + rng.int(0, 10);
  // tfjs only passes dimRoundingMode to the depthwise gradients (conv2d's gradient drops it).
  const rounding = depthwise && padMode === 'number' ? ([undefined, 'floor', 'round', 'ceil'] as const)[rng.int(0, 3)] : undefined;
  return {
    x: randomHost(rng, [batch, h, w, cin]),
    filter: randomHost(rng, [kh, kw, cin, cout]),
    strides,
    pad,
    dimRoundingMode: rounding,
    depthwise,
    label: `x ${[batch, h, w, cin]} k ${kh}x${kw} s ${strides} pad ${JSON.stringify(pad)}${rounding ? ` ${rounding}` : ''}`,
  };
}

/** d/dx and d/dW of sum(op(x, W) · G) for a fixed random G, so dy is not trivially ones. */
function gradientsOf(op: (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D, rng: Rng, c: ConvCase): { g: HostTensor; fn: (...t: tf.Tensor[]) => tf.Tensor[] } {
  const info = tf.backend_util.computeConv2DInfo(c.x.shape as Shape4, c.filter.shape as Shape4, c.strides, 1, c.pad, c.dimRoundingMode, c.depthwise);
  const g = randomHost(rng, info.outShape);
  const fn = (x: tf.Tensor, w: tf.Tensor, gt: tf.Tensor): tf.Tensor[] =>
    tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(op(a as tf.Tensor4D, b as tf.Tensor4D), gt)))([x, w]);
  return { g, fn: fn as (...t: tf.Tensor[]) => tf.Tensor[] };
}

const PAD_MODES = ['same', 'valid', 'explicit', 'number'] as const;

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

describe('conv2d gradients on wasm match cpu', () => {
  const rng = new Rng(20240611);
  const cases = Array.from({ length: 40 }, (_, i) => randomCase(rng, false, PAD_MODES[i % 4]!));
  it.each(cases.map((c) => [c.label, c] as const))('%s', async (_label, c) => {
    const op = (x: tf.Tensor4D, w: tf.Tensor4D) => tf.conv2d(x, w, c.strides, c.pad, 'NHWC', 1, c.dimRoundingMode);
    const { g, fn } = gradientsOf(op, rng, c);
    const r = await compareBackends([c.x, c.filter, g], fn);
    expect(r.wasmLeaked).toBe(0);
    expect(Math.max(...r.errors)).toBeLessThan(TOLERANCE);
  });
});

describe('depthwiseConv2d gradients on wasm match cpu', () => {
  const rng = new Rng(1806);
  const cases = Array.from({ length: 40 }, (_, i) => randomCase(rng, true, PAD_MODES[i % 4]!));
  it.each(cases.map((c) => [c.label, c] as const))('%s', async (_label, c) => {
    const op = (x: tf.Tensor4D, w: tf.Tensor4D) => tf.depthwiseConv2d(x, w, c.strides, c.pad, 'NHWC', 1, c.dimRoundingMode);
    const { g, fn } = gradientsOf(op, rng, c);
    const r = await compareBackends([c.x, c.filter, g], fn);
    expect(r.wasmLeaked).toBe(0);
    expect(Math.max(...r.errors)).toBeLessThan(TOLERANCE);
  });
});

/**
 * tfjs-core refuses gradients of dilated convolutions on every backend (Conv2D_grad asserts
 * dilation 1), so dilation is checked one level down: our gradient functions / kernels with a
 * dilated geometry against the cpu gradient of the same convolution written with an explicitly
 * zero-dilated filter (dilation d ≡ filter with d−1 zeros between taps).
 */
function dilateFilter(w: tf.Tensor4D, d: number): tf.Tensor4D {
  const [kh, kw, ci, co] = w.shape;
  const spread = tf.pad(tf.reshape(w, [kh, 1, kw, 1, ci, co]), [
    [0, 0],
    [0, d - 1],
    [0, 0],
    [0, d - 1],
    [0, 0],
    [0, 0],
  ]);
  return tf.slice(tf.reshape(spread, [kh * d, kw * d, ci, co]) as tf.Tensor4D, [0, 0, 0, 0], [(kh - 1) * d + 1, (kw - 1) * d + 1, ci, co]);
}

function dilatedReference(depthwise: boolean, pad: Pad, d: number) {
  return (x: tf.Tensor, w: tf.Tensor, g: tf.Tensor): tf.Tensor[] => {
    const op = (a: tf.Tensor, b: tf.Tensor) =>
      depthwise ? tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, pad) : tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, pad);
    const [dx, dwDilated] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(op(a, b), g)))([x, dilateFilter(w as tf.Tensor4D, d)]);
    const [kh, kw, ci, co] = w.shape as [number, number, number, number];
    return [dx!, tf.stridedSlice(dwDilated!, [0, 0, 0, 0], [(kh - 1) * d + 1, (kw - 1) * d + 1, ci, co], [d, d, 1, 1])];
  };
}

describe('dilated convolution gradients (dilation 2, stride 1) on wasm match cpu', () => {
  const rng = new Rng(77);
  const pads = ['same', 'valid', 'explicit'] as const;
  const cases = Array.from({ length: 12 }, (_, i) => ({ c: randomCase(rng, i % 2 === 1, pads[i % 3]!), depthwise: i % 2 === 1 }));
  it.each(cases.map(({ c, depthwise }) => [`${depthwise ? 'depthwise' : 'conv2d'} ${c.label}`, c, depthwise] as const))('%s', async (_label, c, depthwise) => {
    const d = 2;
    const [batch, h, w, cin] = c.x.shape as [number, number, number, number];
    const [kh, kw] = c.filter.shape as [number, number];
    // Enlarge the image so a dilated filter always fits.
    const x = randomHost(rng, [batch, h + (kh - 1) * (d - 1), w + (kw - 1) * (d - 1), cin]);
    const info = tf.backend_util.computeConv2DInfo(x.shape as Shape4, c.filter.shape as Shape4, 1, d, c.pad, undefined, depthwise);
    const g = randomHost(rng, info.outShape);
    const kernelAttrs = { strides: 1, pad: c.pad, dilations: d };
    const compute = (xt: tf.Tensor, wt: tf.Tensor, gt: tf.Tensor): tf.Tensor[] =>
      depthwise
        ? [
            tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropInput, { dy: gt, filter: wt }, { ...kernelAttrs, inputShape: x.shape }) as tf.Tensor,
            tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropFilter, { x: xt, dy: gt }, { ...kernelAttrs, filterShape: c.filter.shape }) as tf.Tensor,
          ]
        : tf.tidy(() => [conv2dInputGradient(gt as tf.Tensor4D, wt as tf.Tensor4D, info), conv2dFilterGradient(xt as tf.Tensor4D, gt as tf.Tensor4D, info)]);
    const r = await compareBackends([x, c.filter, g], compute, dilatedReference(depthwise, c.pad, d));
    expect(r.wasmLeaked).toBe(0);
    expect(Math.max(...r.errors)).toBeLessThan(TOLERANCE);
  });
});

describe('registration', () => {
  it('replaces the built-in wasm Conv2DBackpropInput and registers the missing kernels, idempotently', () => {
    const first = registerWasmTrainingKernels();
    expect(registerWasmTrainingKernels()).toBe(first);
    expect(first.map((c) => c.kernelName)).toEqual(WASM_TRAINING_KERNEL_NAMES);
    for (const config of first) {
      // Beneath the native kernel that wraps it when the addon is built.
      expect((nativeFallback(config.kernelName) ?? tf.getKernel(config.kernelName, 'wasm'))?.kernelFunc).toBe(config.kernelFunc);
    }
  });

  it('supports NCHW in the conv2d backprop kernels', async () => {
    const rng = new Rng(5);
    const x = randomHost(rng, [2, 3, 9, 8]);
    const filter = randomHost(rng, [3, 2, 3, 4]);
    const dy = randomHost(rng, [2, 4, 5, 4]);
    const attrs: tf.NamedAttrMap = { strides: [2, 2], pad: 'same', dataFormat: 'NCHW' };
    const compute = (xt: tf.Tensor, ft: tf.Tensor, dyt: tf.Tensor): tf.Tensor[] => [
      tf.engine().runKernel(tf.Conv2DBackpropInput, { dy: dyt, filter: ft }, { ...attrs, inputShape: x.shape }) as tf.Tensor,
      tf.engine().runKernel(tf.Conv2DBackpropFilter, { x: xt, dy: dyt }, { ...attrs, filterShape: filter.shape }) as tf.Tensor,
    ];
    const r = await compareBackends([x, filter, dy], compute);
    expect(r.wasmLeaked).toBe(0);
    expect(Math.max(...r.errors)).toBeLessThan(TOLERANCE);
  });
});

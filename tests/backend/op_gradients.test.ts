// Every other op a training step of this project's networks uses: its gradient on wasm must
// match the cpu backend. (All of these kernels exist upstream in tfjs-backend-wasm 4.22; this
// test is what shows they agree, including the pooling and resize gradients.)
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { Rng } from '../../src/utils/rng.js';
import { compareBackends, randomHost, relativeError, runOn, type HostTensor } from './compare.js';

const TOLERANCE = 1e-3;
type Op = (...xs: tf.Tensor[]) => tf.Tensor;

interface OpCase {
  name: string;
  /** Input shapes and value ranges. */
  inputs: { shape: number[]; lo?: number; hi?: number }[];
  op: Op;
  /** The same function written without the kernel under test, for the cpu side. */
  reference?: Op;
}

/**
 * Bilinear resizing is separable: y = Rh · x · Rwᵀ per channel, where Rh and Rw are the resize
 * of identity matrices. The cpu reference takes its gradient through matMul, because the cpu
 * ResizeBilinearGrad kernel itself is broken for non-square images (it labels dx [B, W, H, C]).
 */
function resizeViaMatMul(size: [number, number], alignCorners: boolean, halfPixelCenters: boolean): Op {
  return (x) => {
    const [b, h, w, c] = x.shape as [number, number, number, number];
    const [oh, ow] = size;
    const interpolation = (n: number, out: number) =>
      tf.reshape(tf.image.resizeBilinear(tf.reshape(tf.eye(n), [1, n, 1, n]) as tf.Tensor4D, [out, 1], alignCorners, halfPixelCenters), [
        out,
        n,
      ]) as tf.Tensor2D;
    const rows = tf.matMul(interpolation(h, oh), tf.reshape(tf.transpose(x, [1, 0, 2, 3]), [h, b * w * c]) as tf.Tensor2D);
    const byCol = tf.reshape(tf.transpose(tf.reshape(rows, [oh, b, w, c]), [2, 1, 0, 3]), [w, b * oh * c]) as tf.Tensor2D;
    const cols = tf.matMul(interpolation(w, ow), byCol);
    return tf.transpose(tf.reshape(cols, [ow, b, oh, c]), [1, 2, 0, 3]);
  };
}

function resizeCase(name: string, inShape: number[], size: [number, number], alignCorners: boolean, halfPixelCenters = false): OpCase {
  return {
    name,
    inputs: [{ shape: inShape }],
    op: (x) => tf.image.resizeBilinear(t4(x), size, alignCorners, halfPixelCenters),
    reference: resizeViaMatMul(size, alignCorners, halfPixelCenters),
  };
}

const t4 = (t: tf.Tensor) => t as tf.Tensor4D;

const CASES: OpCase[] = [
  {
    name: 'conv2d + bias',
    inputs: [{ shape: [2, 9, 7, 3] }, { shape: [3, 3, 3, 4] }, { shape: [4] }],
    op: (x, w, b) => tf.add(tf.conv2d(t4(x), t4(w), 1, 'same'), b!),
  },
  {
    name: 'fused conv2d, bias + relu (unfused under the tape)',
    inputs: [{ shape: [2, 9, 7, 3] }, { shape: [3, 3, 3, 4] }, { shape: [4] }],
    op: (x, w, b) => tf.fused.conv2d({ x: t4(x), filter: t4(w), strides: 2, pad: 'same', bias: b, activation: 'relu' }),
  },
  {
    name: 'fused conv2d, bias, linear (fused custom gradient)',
    inputs: [{ shape: [2, 9, 7, 3] }, { shape: [3, 3, 3, 4] }, { shape: [4] }],
    op: (x, w, b) => tf.fused.conv2d({ x: t4(x), filter: t4(w), strides: 1, pad: 'valid', bias: b }),
  },
  { name: 'depthwiseConv2d', inputs: [{ shape: [2, 9, 7, 3] }, { shape: [3, 3, 3, 2] }], op: (x, w) => tf.depthwiseConv2d(t4(x), t4(w), 2, 'same') },
  {
    name: 'fused depthwiseConv2d, bias, linear',
    inputs: [{ shape: [2, 9, 7, 3] }, { shape: [3, 3, 3, 1] }, { shape: [3] }],
    op: (x, w, b) => tf.fused.depthwiseConv2d({ x: t4(x), filter: t4(w), strides: 1, pad: 'same', bias: b }),
  },
  { name: 'relu', inputs: [{ shape: [2, 5, 5, 3] }], op: (x) => tf.relu(x) },
  { name: 'relu6', inputs: [{ shape: [2, 5, 5, 3], lo: -9, hi: 9 }], op: (x) => tf.relu6(x) },
  { name: 'sigmoid', inputs: [{ shape: [2, 5, 5, 3], lo: -4, hi: 4 }], op: (x) => tf.sigmoid(x) },
  { name: 'tanh', inputs: [{ shape: [2, 5, 5, 3], lo: -3, hi: 3 }], op: (x) => tf.tanh(x) },
  { name: 'concat (channels)', inputs: [{ shape: [2, 4, 5, 3] }, { shape: [2, 4, 5, 2] }], op: (a, b) => tf.concat([a!, b!], 3) },
  { name: 'slice', inputs: [{ shape: [2, 7, 6, 4] }], op: (x) => tf.slice(x, [0, 1, 2, 1], [2, 4, 3, 2]) },
  {
    name: 'split',
    inputs: [{ shape: [2, 4, 5, 5] }],
    op: (x) => {
      const [a, b] = tf.split(x, [2, 3], 3);
      return tf.concat([tf.mul(a!, 2), tf.exp(b!)], 3);
    },
  },
  resizeCase('resizeBilinear up, alignCorners', [2, 5, 7, 3], [11, 13], true),
  resizeCase('resizeBilinear up, no alignCorners', [2, 5, 7, 3], [11, 13], false),
  resizeCase('resizeBilinear up x2, alignCorners', [2, 6, 4, 2], [12, 8], true),
  resizeCase('resizeBilinear down, alignCorners', [2, 13, 11, 2], [5, 4], true),
  resizeCase('resizeBilinear down, no alignCorners', [2, 13, 11, 2], [5, 4], false),
  resizeCase('resizeBilinear up, halfPixelCenters', [2, 5, 7, 3], [11, 13], false, true),
  resizeCase('resizeBilinear down, halfPixelCenters', [2, 13, 11, 2], [5, 4], false, true),
  { name: 'maxPool 2x2 same (ceil) on odd sizes', inputs: [{ shape: [2, 9, 7, 3] }], op: (x) => tf.maxPool(t4(x), 2, 2, 'same') },
  { name: 'maxPool 3x3 stride 2 same', inputs: [{ shape: [2, 9, 8, 3] }], op: (x) => tf.maxPool(t4(x), 3, 2, 'same') },
  { name: 'maxPool 2x2 valid, all-negative input', inputs: [{ shape: [2, 8, 6, 3], lo: -2, hi: -0.1 }], op: (x) => tf.maxPool(t4(x), 2, 2, 'valid') },
  { name: 'maxPool after relu', inputs: [{ shape: [2, 9, 7, 3] }], op: (x) => tf.maxPool(tf.relu(t4(x)), 2, 2, 'same') },
  { name: 'avgPool 2x2 same', inputs: [{ shape: [2, 9, 7, 3] }], op: (x) => tf.avgPool(t4(x), 2, 2, 'same') },
  { name: 'mean over H, W', inputs: [{ shape: [2, 6, 5, 3] }], op: (x) => tf.mean(x, [1, 2]) },
  {
    name: 'pad',
    inputs: [{ shape: [2, 4, 5, 3] }],
    op: (x) =>
      tf.pad(x, [
        [0, 0],
        [1, 2],
        [0, 1],
        [0, 0],
      ]),
  },
  { name: 'add (broadcast)', inputs: [{ shape: [2, 4, 5, 3] }, { shape: [3] }], op: (a, b) => tf.add(a!, b!) },
  { name: 'sub (broadcast)', inputs: [{ shape: [2, 4, 5, 3] }, { shape: [2, 1, 1, 3] }], op: (a, b) => tf.sub(a!, b!) },
  { name: 'mul (broadcast)', inputs: [{ shape: [2, 4, 5, 3] }, { shape: [2, 4, 5, 1] }], op: (a, b) => tf.mul(a!, b!) },
  { name: 'div (broadcast)', inputs: [{ shape: [2, 4, 5, 3] }, { shape: [1, 1, 5, 3], lo: 0.5, hi: 2 }], op: (a, b) => tf.div(a!, b!) },
  { name: 'sum over channels', inputs: [{ shape: [2, 4, 5, 3] }], op: (x) => tf.sum(x, 3, true) },
  { name: 'max over channels', inputs: [{ shape: [2, 4, 5, 3] }], op: (x) => tf.max(x, 3) },
  { name: 'max over H, W', inputs: [{ shape: [2, 4, 5, 3] }], op: (x) => tf.max(x, [1, 2]) },
  { name: 'exp', inputs: [{ shape: [2, 4, 5, 3] }], op: (x) => tf.exp(x) },
  { name: 'log', inputs: [{ shape: [2, 4, 5, 3], lo: 0.1, hi: 3 }], op: (x) => tf.log(x) },
  { name: 'transpose', inputs: [{ shape: [2, 4, 5, 3] }], op: (x) => tf.transpose(x, [0, 3, 1, 2]) },
  { name: 'softmax / logSoftmax', inputs: [{ shape: [2, 4, 5, 3] }], op: (x) => tf.add(tf.softmax(x), tf.logSoftmax(x)) },
  { name: 'sqrt, rsqrt, square', inputs: [{ shape: [2, 4, 5, 3], lo: 0.2, hi: 2 }], op: (x) => tf.add(tf.sqrt(x), tf.mul(tf.rsqrt(x), tf.square(x))) },
  { name: 'stack / unstack', inputs: [{ shape: [2, 4, 5, 3] }], op: (x) => tf.stack(tf.unstack(x, 0).reverse(), 3) },
  {
    name: 'sigmoid cross-entropy loss',
    inputs: [{ shape: [2, 4, 5, 1] }, { shape: [2, 4, 5, 1], lo: 0, hi: 1 }],
    op: (logits, labels) => tf.losses.sigmoidCrossEntropy(labels!, logits!),
  },
];

/** The output and the gradients of sum(op(...) · G) w.r.t. every input, for a fixed random G. */
function valueAndGradients(op: Op): (...xs: tf.Tensor[]) => tf.Tensor[] {
  return (...xs) => {
    const g = xs[xs.length - 1]!;
    const inputs = xs.slice(0, -1);
    return [tf.tidy(() => op(...inputs)), ...tf.grads((...a: tf.Tensor[]) => tf.sum(tf.mul(op(...a), g)))(inputs)];
  };
}

function outputShape(c: OpCase, hosts: HostTensor[]): number[] {
  return tf.tidy(() => c.op(...hosts.map((h) => tf.ones(h.shape))).shape);
}

afterAll(async () => {
  await tf.setBackend('wasm');
});

describe('op gradients on wasm match cpu', () => {
  const rng = new Rng(4242);
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const hosts = c.inputs.map((i) => randomHost(rng, i.shape, i.lo ?? -1, i.hi ?? 1));
    const g = randomHost(rng, outputShape(c, hosts));
    const r = await compareBackends([...hosts, g], valueAndGradients(c.op), valueAndGradients(c.reference ?? c.op));
    expect(r.errors).toHaveLength(1 + c.inputs.length);
    expect(r.wasmLeaked).toBe(0);
    expect(Math.max(...r.errors)).toBeLessThan(TOLERANCE);
  });
});

describe('cpu fallback', () => {
  it('cpu ResizeBilinearGrad gives [B, H, W, C] gradients on non-square images (fixed at registration)', async () => {
    const rng = new Rng(10);
    const c = resizeCase('cpu resize', [2, 5, 8, 3], [9, 15], true);
    const hosts = [randomHost(rng, c.inputs[0]!.shape), randomHost(rng, [2, 9, 15, 3])];
    const kernel = await runOn('cpu', hosts, valueAndGradients(c.op));
    const reference = await runOn('cpu', hosts, valueAndGradients(c.reference!));
    await tf.setBackend('wasm');
    expect(kernel.outputs[1]!.shape).toEqual([2, 5, 8, 3]);
    expect(relativeError(kernel.outputs[1]!, reference.outputs[1]!)).toBeLessThan(TOLERANCE);
  });
});

describe('MaxPoolGrad kernel with tied maxima', () => {
  it('sends each gradient to the first maximum of its window, like cpu', async () => {
    const rng = new Rng(9);
    // Values in {-1, 0, 1}: most windows hold ties.
    const input = { shape: [2, 7, 9, 2], values: Float32Array.from({ length: 2 * 7 * 9 * 2 }, () => rng.int(-1, 1)) };
    const dy = randomHost(rng, [2, 4, 5, 2]);
    const compute = (x: tf.Tensor, d: tf.Tensor): tf.Tensor[] => {
      const y = tf.maxPool(t4(x), 2, 2, 'same');
      const dx = tf.engine().runKernel(tf.MaxPoolGrad, { dy: d, input: x, output: y }, { filterSize: 2, strides: 2, pad: 'same' }) as tf.Tensor;
      y.dispose();
      return [dx];
    };
    const r = await compareBackends([input, dy], compute);
    expect(r.wasmLeaked).toBe(0);
    expect(r.errors[0]).toBeLessThan(TOLERANCE);
  });
});

describe('tfjs-layers BatchNormalization on wasm matches cpu', () => {
  /** Gradients w.r.t. input, gamma and beta, plus the updated moving statistics. */
  function batchNormGradients(training: boolean, stats: HostTensor[]) {
    return (x: tf.Tensor, g: tf.Tensor): tf.Tensor[] => {
      const layer = tfl.layers.batchNormalization({ axis: -1, momentum: 0.9 });
      layer.build(x.shape);
      // Random statistics so inference mode is not the identity.
      const initial = stats.map((s) => tf.tensor(s.values, s.shape));
      layer.setWeights(initial);
      tf.dispose(initial);
      const xv = tf.variable(x);
      const vars = [xv, ...layer.trainableWeights.map((w) => w.read() as tf.Variable)];
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(xv, { training }) as tf.Tensor, g)), vars);
      const out = [...vars.map((v) => grads[v.name]!), ...layer.nonTrainableWeights.map((w) => tf.clone(w.read()))];
      tf.dispose([value, xv]);
      for (const weight of layer.weights) weight.dispose();
      return out;
    };
  }

  for (const training of [true, false]) {
    it(`${training ? 'training' : 'inference'} mode: input/gamma/beta gradients and moving statistics`, async () => {
      const rng = new Rng(training ? 1 : 2);
      const x = randomHost(rng, [3, 5, 4, 6], -2, 3);
      const g = randomHost(rng, x.shape);
      const stats = [randomHost(rng, [6], 0.5, 1.5), randomHost(rng, [6]), randomHost(rng, [6]), randomHost(rng, [6], 0.5, 2)];
      const r = await compareBackends([x, g], batchNormGradients(training, stats));
      expect(r.errors).toHaveLength(5);
      expect(r.wasmLeaked).toBe(0);
      expect(Math.max(...r.errors)).toBeLessThan(TOLERANCE);
      // In training mode the moving mean moves away from the initial statistics.
      const movedMean = Math.max(...Array.from(r.wasm[3]!.values, (v, i) => Math.abs(v - stats[2]!.values[i]!)));
      if (training) expect(movedMean).toBeGreaterThan(1e-3);
      else expect(movedMean).toBe(0);
    });
  }
});

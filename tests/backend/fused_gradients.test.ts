// The gradient replacements of src/backend/fused_kernels/ (FusedBatchNorm, Mean, Max, Square) against
// tfjs-core's own gradient functions, on the wasm and the cpu backend, and a batch norm trained
// through moments against the same function written with plain ops.
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { hasFusedKernel, originalGradient } from '../../src/backend/fused_kernels/index.js';
import { BATCH_NORM_GRAD } from '../../src/backend/fused_kernels/batch_norm_grad.js';
import { MAX_GRAD, MEAN_GRAD, SQUARE_GRAD } from '../../src/backend/fused_kernels/broadcast_grads.js';
import { Rng } from '../../src/utils/rng.js';
import { randomHost, relativeError, toTensor } from './compare.js';

const TOLERANCE = 1e-5;

afterAll(async () => {
  await tf.setBackend('wasm');
});

const random = (rng: Rng, shape: number[], lo = -1, hi = 1): tf.Tensor => toTensor(randomHost(rng, shape, lo, hi));

function maxRelativeError(a: tf.Tensor, b: tf.Tensor): number {
  expect(a.shape).toEqual(b.shape);
  return relativeError({ shape: a.shape, values: Float32Array.from(a.dataSync()) }, { shape: b.shape, values: Float32Array.from(b.dataSync()) });
}

/** Both gradient functions of `kernelName` on the same dy and saved tensors, input by input. */
function bothGradients(
  kernelName: string,
  dy: tf.Tensor,
  saved: tf.Tensor[],
  attrs: tf.NamedAttrMap,
): { name: string; fused: tf.Tensor; original: tf.Tensor }[] {
  // In a scope, as the tape runs them: gradient functions may make intermediates eagerly.
  return tf.tidy(() => {
    const fusedGrads = tf.getGradient(kernelName)!.gradFunc(dy, saved, attrs);
    const originalGrads = originalGradient(kernelName)!.gradFunc(dy, saved, attrs);
    return Object.keys(originalGrads).map((name) => ({ name, fused: fusedGrads[name]!(), original: originalGrads[name]!() })) as unknown as tf.TensorContainer;
  }) as unknown as { name: string; fused: tf.Tensor; original: tf.Tensor }[];
}

describe.each(['wasm', 'cpu'] as const)('fused gradients on %s', (backend) => {
  it('are registered, and tfjs-core originals kept', async () => {
    await tf.setBackend(backend);
    for (const name of [BATCH_NORM_GRAD, MEAN_GRAD, MAX_GRAD, SQUARE_GRAD]) expect(hasFusedKernel(name)).toBe(true);
    for (const name of [tf.FusedBatchNorm, tf.Mean, tf.Max, tf.Square]) expect(originalGradient(name)).toBeDefined();
  });

  it.each([
    ['[0,1,2] of rank 4 (batch-norm moments)', [2, 3, 5, 4], [0, 1, 2]],
    ['[1,2] of rank 4 (per-slot loss means)', [2, 3, 5, 4], [1, 2]],
    ['[1] of rank 3', [3, 4, 2], [1]],
    ['[0,2] of rank 3 (non-adjacent axes)', [3, 4, 2], [0, 2]],
    ['all axes', [3, 4], [0, 1]],
    ['last axis', [3, 4], [-1]],
  ] as const)('Mean over %s: bit for bit tfjs-core', async (_label, shape, axis) => {
    await tf.setBackend(backend);
    const rng = new Rng(21);
    const x = random(rng, [...shape]);
    const before = tf.memory().numTensors;
    const y = tf.mean(x, [...axis]);
    const dy = random(rng, y.shape);
    for (const { fused, original } of bothGradients(tf.Mean, dy, [x], { axis: [...axis], keepDims: false })) {
      expect(Array.from(fused.dataSync())).toEqual(Array.from(original.dataSync()));
      tf.dispose([fused, original]);
    }
    tf.dispose([y, dy]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it.each([
    ['[1,2] of rank 4 (the objectness head)', [3, 4, 5, 6], [1, 2], false],
    ['[1,2] of rank 4, kept dims', [3, 4, 5, 6], [1, 2], true],
    ['[0,2] of rank 3 (non-adjacent axes)', [3, 4, 2], [0, 2], false],
    ['last axis', [3, 4], [-1], false],
    ['all axes', [6, 8], [0, 1], false],
  ] as const)('Max over %s: bit for bit tfjs-core, ties and signed zeros included', async (_label, shape, axis, keepDims) => {
    await tf.setBackend(backend);
    const rng = new Rng(23);
    // Few distinct values, so that several elements tie for the maximum (each gets dy).
    const x = tf.round(tf.mul(random(rng, [...shape]), 2));
    const before = tf.memory().numTensors;
    const y = tf.max(x, [...axis], keepDims);
    const dy = random(rng, y.shape); // negative dy × 0 is -0 in tfjs-core's product
    const grads = bothGradients(tf.Max, dy, [x, y], { reductionIndices: [...axis], keepDims });
    expect(grads).toHaveLength(1);
    const { fused, original } = grads[0]!;
    expect(fused.shape).toEqual(original.shape);
    const bits = (t: tf.Tensor) => Array.from(new Uint32Array(Float32Array.from(t.dataSync()).buffer));
    expect(bits(fused)).toEqual(bits(original));
    // Not vacuous: some elements get dy, more than one per reduced group somewhere (ties), the rest 0.
    const nonzero = Array.from(fused.dataSync()).filter((v) => v !== 0).length;
    expect(nonzero).toBeGreaterThan(y.size);
    expect(nonzero).toBeLessThan(x.size);
    tf.dispose([fused, original, y, dy]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('Square: bit for bit tfjs-core', async () => {
    await tf.setBackend(backend);
    const rng = new Rng(22);
    const x = random(rng, [2, 3, 4, 5], -3, 3);
    const dy = random(rng, [2, 3, 4, 5]);
    for (const { fused, original } of bothGradients(tf.Square, dy, [x], {})) {
      expect(Array.from(fused.dataSync())).toEqual(Array.from(original.dataSync()));
      tf.dispose([fused, original]);
    }
    tf.dispose([x, dy]);
  });

  it('FusedBatchNorm: tfjs-core gradient for x, mean, variance, scale, offset', async () => {
    await tf.setBackend(backend);
    const rng = new Rng(23);
    const c = 6;
    const x = random(rng, [2, 5, 3, c], -2, 3);
    const mean = random(rng, [c], -0.5, 0.5);
    const variance = random(rng, [c], 0.2, 2);
    const scale = random(rng, [c], 0.5, 1.5);
    const dy = random(rng, [2, 5, 3, c]);
    const before = tf.memory().numTensors;
    const grads = bothGradients(tf.FusedBatchNorm, dy, [x, mean, variance, scale], { varianceEpsilon: 1e-3 });
    expect(grads.map((g) => g.name).sort()).toEqual(['mean', 'offset', 'scale', 'variance', 'x']);
    for (const { fused, original } of grads) {
      expect(maxRelativeError(fused, original)).toBeLessThan(TOLERANCE);
      tf.dispose([fused, original]);
    }
    // The fused kernel makes all five at once; the ones not asked for are released with the scope.
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, mean, variance, scale, dy]);
  });

  it('training-mode batch norm (moments → batchNorm): same gradients as plain ops', async () => {
    await tf.setBackend(backend);
    const rng = new Rng(24);
    const c = 5;
    const x = random(rng, [3, 4, 6, c], -1, 2);
    const gamma = random(rng, [c], 0.5, 1.5);
    const beta = random(rng, [c]);
    const w = random(rng, [3, 4, 6, c]);
    const eps = 1e-5;
    const fusedLoss = (xs: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const { mean, variance } = tf.moments(xs, [0, 1, 2]);
      return tf.sum(tf.mul(tf.batchNorm(xs, mean, variance, b, g, eps), w)) as tf.Scalar;
    };
    // Reference without FusedBatchNorm, Mean or Square (Sum, Sub, Mul, Rsqrt have tfjs-core gradients).
    const plainLoss = (xs: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const n = xs.size / c;
      const mean = tf.div(tf.sum(xs, [0, 1, 2]), n);
      const centered = tf.sub(xs, mean);
      const variance = tf.div(tf.sum(tf.mul(centered, centered), [0, 1, 2]), n);
      const y = tf.add(tf.mul(tf.mul(centered, tf.rsqrt(tf.add(variance, eps))), g), b);
      return tf.sum(tf.mul(y, w)) as tf.Scalar;
    };
    const before = tf.memory().numTensors;
    const fused = tf.grads(fusedLoss)([x, gamma, beta]);
    const plain = tf.grads(plainLoss)([x, gamma, beta]);
    fused.forEach((g, i) => expect(maxRelativeError(g, plain[i]!)).toBeLessThan(1e-4));
    tf.dispose([...fused, ...plain]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, gamma, beta, w]);
  });
});

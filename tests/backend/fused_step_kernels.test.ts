// The fused kernels of the main job's training step (training batch norm forward/backward and its
// moving averages, the ReLU gradient, the encoder's input normalisation) against the same
// functions as separate tfjs ops, on the wasm and the cpu backend.
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { hasFusedKernel, originalGradient, setFusedKernelsDisabled } from '../../src/backend/fused_kernels/index.js';
import { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD, MOVING_MOMENTS } from '../../src/backend/fused_kernels/batch_norm_train.js';
import { RELU_GRAD } from '../../src/backend/fused_kernels/broadcast_grads.js';
import { NORMALIZE_INPUT } from '../../src/backend/fused_kernels/normalize_input.js';
import { batchNormTrain, batchNormTrainUnfused, movingMoments } from '../../src/layers/batch_norm_train.js';
import { normalizeInput, normalizeInputUnfused } from '../../src/layers/normalize_input.js';
import { Rng } from '../../src/utils/rng.js';
import { batchNormInputs, batchNormTrainOutputs, float32Bits, normalizeInputInputs, randomTensor, relativeError } from './compare.js';

/**
 * Float32 tolerance of the fused batch norm against tf.moments + tf.batchNorm: its sums run in
 * double and round once, the separate ops round every partial sum, so results differ by float32
 * rounding of sums over a few hundred elements (measured ≤ 2e-6 relative; 1e-5 with margin).
 */
const TOLERANCE = 1e-5;

afterAll(async () => {
  setFusedKernelsDisabled([BATCH_NORM_TRAIN, MOVING_MOMENTS, NORMALIZE_INPUT], false);
  await tf.setBackend('wasm');
});

function maxRelativeError(a: tf.Tensor, b: tf.Tensor): number {
  expect(a.shape).toEqual(b.shape);
  return relativeError({ shape: a.shape, values: Float32Array.from(a.dataSync()) }, { shape: b.shape, values: Float32Array.from(b.dataSync()) });
}

describe.each(['wasm', 'cpu'] as const)('fused step kernels on %s', (backend) => {
  it('are registered', async () => {
    await tf.setBackend(backend);
    for (const name of [BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD, MOVING_MOMENTS, RELU_GRAD, NORMALIZE_INPUT]) expect(hasFusedKernel(name)).toBe(true);
    expect(originalGradient(tf.Relu)).toBeDefined();
  });

  it.each([
    ['the main-job stem', [4, 8, 8, 16], 2],
    ['odd sizes, an offset mean', [3, 5, 7, 6], 40],
    ['three values per channel', [3, 1, 1, 4], 0],
  ] as const)('training batch norm (%s): outputs, statistics and gradients as the separate ops', async (_label, shape, offset) => {
    await tf.setBackend(backend);
    const inputs = batchNormInputs(new Rng(31), shape, offset);
    const before = tf.memory().numTensors;
    const fused = batchNormTrainOutputs(batchNormTrain, inputs);
    const plain = batchNormTrainOutputs(batchNormTrainUnfused, inputs);
    const names = ['y', 'mean', 'variance', 'dx', 'dgamma', 'dbeta'];
    fused.forEach((t, i) => expect(maxRelativeError(t, plain[i]!), names[i]).toBeLessThan(TOLERANCE));
    // Not vacuous: the output is normalised (per-channel mean ≈ beta) and the input gradient is not zero.
    expect(Math.max(...Array.from(fused[3]!.dataSync()).map(Math.abs))).toBeGreaterThan(1e-3);
    tf.dispose([...fused, ...plain]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(Object.values(inputs));
  });

  it('training batch norm outside a gradient scope: the same values, statistics usable afterwards, nothing left behind', async () => {
    await tf.setBackend(backend);
    const rng = new Rng(36);
    const x = randomTensor(rng, [2, 3, 3, 4]) as tf.Tensor4D;
    const gamma = randomTensor(rng, [4], 0.5, 1.5) as tf.Tensor1D;
    const beta = randomTensor(rng, [4]) as tf.Tensor1D;
    const before = tf.memory().numTensors;
    const buffers = tf.engine().backend.numDataIds();
    const fused = batchNormTrain(x, gamma, beta, 1e-5);
    const plain = batchNormTrainUnfused(x, gamma, beta, 1e-5);
    expect(maxRelativeError(fused.y, plain.y)).toBeLessThan(TOLERANCE);
    expect(maxRelativeError(fused.mean, plain.mean)).toBeLessThan(TOLERANCE);
    expect(maxRelativeError(fused.variance, plain.variance)).toBeLessThan(TOLERANCE);
    tf.dispose([fused.y, fused.mean, fused.variance, plain.y, plain.mean, plain.variance]);
    expect(tf.memory().numTensors).toBe(before);
    expect(tf.engine().backend.numDataIds()).toBe(buffers);
    tf.dispose([x, gamma, beta]);
  });

  it('training batch norm: a channel with a NaN stays NaN through ReLU (a poisoned batch gives a NaN loss)', async () => {
    await tf.setBackend(backend);
    // NaN made by the CPU (0·∞) is negative; a sign-testing ReLU would turn it into 0.
    const x = tf.tidy(() => tf.concat([tf.mul(tf.fill([2, 4, 4, 1], Infinity), 0), tf.ones([2, 4, 4, 1])], 3)) as tf.Tensor4D;
    const out = tf.tidy(() => tf.relu(batchNormTrain(x, tf.ones([2]) as tf.Tensor1D, tf.zeros([2]) as tf.Tensor1D, 1e-5).y));
    const v = Array.from(out.dataSync());
    expect(v.filter((_, i) => i % 2 === 0).every(Number.isNaN)).toBe(true);
    expect(v.filter((_, i) => i % 2 === 1).every(Number.isFinite)).toBe(true);
    tf.dispose([x, out]);
  });

  it('training batch norm leaves no tensors or buffers behind over repeated steps', async () => {
    await tf.setBackend(backend);
    const rng = new Rng(32);
    const x = tf.variable(randomTensor(rng, [2, 4, 4, 3]));
    const gamma = tf.variable(randomTensor(rng, [3], 0.5, 1.5));
    const beta = tf.variable(randomTensor(rng, [3]));
    const step = () => {
      const { value, grads } = tf.variableGrads(() =>
        tf.sum(tf.square(batchNormTrain(x as unknown as tf.Tensor4D, gamma as unknown as tf.Tensor1D, beta as unknown as tf.Tensor1D, 1e-5).y)),
      );
      tf.dispose([value, ...Object.values(grads)]);
    };
    step();
    const tensors = tf.memory().numTensors;
    const buffers = tf.engine().backend.numDataIds();
    for (let i = 0; i < 20; i++) step();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(tf.engine().backend.numDataIds()).toBe(buffers);
    tf.dispose([x, gamma, beta]);
  });

  it('moving averages: bit for bit the separate Multiply and Add kernels', async () => {
    await tf.setBackend(backend);
    const rng = new Rng(33);
    const moving = { mean: randomTensor(rng, [7]) as tf.Tensor1D, variance: randomTensor(rng, [7], 0.1, 2) as tf.Tensor1D };
    const batch = { mean: randomTensor(rng, [7]) as tf.Tensor1D, variance: randomTensor(rng, [7], 0.1, 2) as tf.Tensor1D };
    const fused = movingMoments(moving, batch, 0.1, 64 / 63);
    setFusedKernelsDisabled([MOVING_MOMENTS], true);
    const plain = movingMoments(moving, batch, 0.1, 64 / 63);
    setFusedKernelsDisabled([MOVING_MOMENTS], false);
    expect(float32Bits(fused.mean)).toEqual(float32Bits(plain.mean));
    expect(float32Bits(fused.variance)).toEqual(float32Bits(plain.variance));
    expect(float32Bits(fused.mean)).not.toEqual(float32Bits(moving.mean));
    tf.dispose([fused.mean, fused.variance, plain.mean, plain.variance, moving.mean, moving.variance, batch.mean, batch.variance]);
  });

  it('ReLU gradient: bit for bit tfjs-core (signed zeros included)', async () => {
    await tf.setBackend(backend);
    const rng = new Rng(34);
    const x = tf.concat([randomTensor(rng, [40]), tf.zeros([4])]);
    const dy = randomTensor(rng, [44]);
    const fused = tf.tidy(() => tf.getGradient(tf.Relu)!.gradFunc(dy, [x], {}).x!());
    const original = tf.tidy(() => originalGradient(tf.Relu)!.gradFunc(dy, [x], {}).x!());
    expect(float32Bits(fused)).toEqual(float32Bits(original));
    tf.dispose([x, dy, fused, original]);
  });

  it.each([false, true])('input normalisation (motion %s): bit for bit the separate ops, and its gradient', async (motion) => {
    await tf.setBackend(backend);
    const rng = new Rng(35);
    const { frame, previous, mean, std } = normalizeInputInputs(rng, motion);
    const before = tf.memory().numTensors;
    const fused = normalizeInput(frame, mean, std, previous);
    const plain = normalizeInputUnfused(frame, mean, std, previous);
    expect(fused.shape).toEqual([2, 5, 3, motion ? 6 : 3]);
    expect(float32Bits(fused)).toEqual(float32Bits(plain));
    const w = randomTensor(rng, fused.shape);
    const inputs = previous === null ? [frame] : [frame, previous];
    const grad = (f: typeof normalizeInput) =>
      tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(xs[0] as tf.Tensor4D, mean, std, (xs[1] as tf.Tensor4D) ?? null), w)))(inputs);
    const g1 = grad(normalizeInput);
    const g2 = grad(normalizeInputUnfused);
    g1.forEach((g, i) => expect(maxRelativeError(g, g2[i]!)).toBeLessThan(1e-6));
    tf.dispose([fused, plain, w, ...g1, ...g2]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([frame, mean, std, ...(previous ? [previous] : [])]);
  });
});

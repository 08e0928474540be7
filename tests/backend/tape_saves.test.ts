// Tensors saved for back-propagation share their data (src/backend/tape_saves.ts) instead of being
// cloned through an Identity kernel: the same gradients bit for bit, no Identity calls in a
// gradient, no leaks, and higher-order gradients (which need the clones) still right.
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/index.js';
import { setTapeSavesShared } from '../../src/backend/tape_saves.js';
import { Rng } from '../../src/utils/rng.js';
import { float32Bits as bits, profiledGradients, randomTensor as random } from './compare.js';

afterAll(async () => {
  setTapeSavesShared(true);
  await tf.setBackend('wasm');
});

/** 2x as a customGrad op that saves its input (its save goes through the engine's clone too). */
const twice = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x]);
  return { value: tf.mul(x, 2), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, tf.mul(tf.onesLike(saved[0]!), 2)) };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor) => tf.Tensor;

/** A small training-like loss: conv → batch-norm moments → relu → sigmoid → mean, and its gradients. */
function lossAndGrads(x: tf.Tensor4D, filter: tf.Variable, scale: tf.Variable): { value: tf.Scalar; grads: tf.NamedTensorMap } {
  return tf.variableGrads(() => {
    const y = tf.conv2d(x, filter as unknown as tf.Tensor4D, 1, 'same');
    const { mean, variance } = tf.moments(y, [0, 1, 2]);
    const z = tf.relu(
      tf.batchNorm4d(y, mean as tf.Tensor1D, variance as tf.Tensor1D, tf.zerosLike(scale) as tf.Tensor1D, scale as unknown as tf.Tensor1D, 1e-5),
    );
    return tf.mean(tf.sigmoid(tf.mul(twice(z), tf.max(z, [1, 2], true)))) as tf.Scalar;
  }, [filter, scale]);
}

describe.each(['wasm', 'cpu'] as const)('shared tape saves on %s', (backend) => {
  it('give the same gradients bit for bit, without Identity kernel calls, and leak nothing', async () => {
    await initBackend(backend, { quiet: true });
    const rng = new Rng(5);
    const x = random(rng, [2, 6, 7, 3]) as tf.Tensor4D;
    const filter = tf.variable(random(rng, [3, 3, 3, 4]));
    const scale = tf.variable(random(rng, [4]));
    const results: { value: number[]; grads: number[][]; identities: number }[] = [];
    for (const shared of [false, true]) {
      setTapeSavesShared(shared);
      const before = tf.memory().numTensors;
      const { value, grads, kernels } = await profiledGradients(() => lossAndGrads(x, filter, scale));
      results.push({ value, grads, identities: kernels.filter((k) => k === 'Identity').length });
      expect(tf.memory().numTensors).toBe(before);
    }
    const [cloned, sharedRun] = results;
    expect(sharedRun!.value).toEqual(cloned!.value);
    expect(sharedRun!.grads).toEqual(cloned!.grads);
    // tfjs-core clones every saved tensor (22 here); shared, one Identity call is left, which is
    // not a save.
    expect(cloned!.identities).toBeGreaterThanOrEqual(20);
    expect(sharedRun!.identities).toBeLessThanOrEqual(1);
    setTapeSavesShared(true);
    tf.dispose([x, filter, scale]);
  });

  it('higher-order gradients are unchanged (nested scopes keep the clones)', async () => {
    await initBackend(backend, { quiet: true });
    const xs = tf.tensor1d([-1.5, -0.2, 0.7, 2]);
    // x·x·x through Multiply, whose gradient reads its saved inputs: f'' = 6x needs them linked to x.
    const cube = (x: tf.Tensor) => tf.mul(tf.mul(x, x), x);
    const second = (f: (x: tf.Tensor) => tf.Tensor) => tf.grad(tf.grad(f))(xs);
    const got = second(cube).dataSync();
    [-1.5, -0.2, 0.7, 2].forEach((x, i) => expect(got[i]).toBeCloseTo(6 * x, 4));
    const other = (x: tf.Tensor) => tf.mul(tf.pow(x, 3), tf.sigmoid(x));
    const previous = setTapeSavesShared(false);
    const cloned = [second(cube), second(other)].map(bits);
    setTapeSavesShared(true);
    const shared = [second(cube), second(other)].map(bits);
    setTapeSavesShared(previous);
    expect(shared).toEqual(cloned);
    xs.dispose();
  });
});

// Back-propagation that sums each tensor's gradients with one AddN (src/backend/gradient_sums.ts)
// instead of tfjs-core's pairwise Adds: the same gradients bit for bit (a small graph with
// tensors used up to five times, and the main job's model), fewer kernel calls, no leaks, and
// tfjs-core's errors and higher-order gradients unchanged.
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/index.js';
import { setGradientSums } from '../../src/backend/gradient_sums.js';
import { Rng } from '../../src/utils/rng.js';
import { RVOSModel } from '../../src/models/index.js';
import { gradientsInThread } from '../../src/train/parallel/gradients.js';
import { randomBatch, settingOf } from '../../bench/_speed_job.js';
import { float32Bits as bits, profiledGradients, randomTensor as random } from './compare.js';

afterAll(async () => {
  setGradientSums(true);
  await tf.setBackend('wasm');
});

/** A loss in which x, the filter, y and z are each used several times (their gradients are sums). */
function lossAndGrads(x: tf.Tensor4D, filter: tf.Variable, scale: tf.Variable): { value: tf.Scalar; grads: tf.NamedTensorMap } {
  return tf.variableGrads(() => {
    const f = filter as unknown as tf.Tensor4D;
    const y = tf.conv2d(x, f, 1, 'same');
    const z = tf.add(tf.mul(tf.sigmoid(y), scale), tf.conv2d(tf.tanh(x), f, 1, 'same'));
    const w = tf.add(tf.mul(z, y), tf.mul(tf.relu(z), tf.square(y)));
    const terms = [tf.mean(w), tf.mean(tf.mul(z, z)), tf.max(y), tf.mean(tf.mul(tf.mul(x, x), tf.sum(f)))];
    return tf.addN(terms) as tf.Scalar;
  }, [filter, scale]);
}

describe.each(['wasm', 'cpu'] as const)('gradient sums on %s', (backend) => {
  it('give the same gradients bit for bit with fewer kernel calls, and leak nothing', async () => {
    await initBackend(backend, { quiet: true });
    const rng = new Rng(11);
    const x = random(rng, [2, 5, 6, 3]) as tf.Tensor4D;
    const filter = tf.variable(random(rng, [3, 3, 3, 4]));
    const scale = tf.variable(random(rng, [4]));
    const results: { value: number[]; grads: number[][]; adds: number; calls: number }[] = [];
    for (const sums of [false, true]) {
      setGradientSums(sums);
      const before = tf.memory().numTensors;
      const { value, grads, kernels } = await profiledGradients(() => lossAndGrads(x, filter, scale));
      results.push({ value, grads, adds: kernels.filter((k) => k === 'Add').length, calls: kernels.length });
      expect(tf.memory().numTensors).toBe(before);
    }
    const [pairwise, summed] = results;
    expect(summed!.value).toEqual(pairwise!.value);
    expect(summed!.grads).toEqual(pairwise!.grads);
    expect(summed!.grads.flat().some((b) => b !== 0)).toBe(true);
    // Pairwise, x, the filter, y and z's gradient sums take 8 Adds more (one each for the 2nd, 3rd…
    // use); summed, one AddN per tensor.
    expect(pairwise!.adds - summed!.adds).toBeGreaterThanOrEqual(8);
    expect(summed!.calls).toBeLessThan(pairwise!.calls);
    tf.dispose([x, filter, scale]);
  });

  it("keeps tfjs-core's errors and higher-order gradients", async () => {
    await initBackend(backend, { quiet: true });
    const a = tf.scalar(2);
    const b = tf.scalar(3);
    // The error, and what it leaves behind (the forward pass's result), are tfjs-core's.
    const left = [false, true].map((sums) => {
      setGradientSums(sums);
      const before = tf.memory().numTensors;
      expect(() => tf.grads(() => tf.mul(b, b))([a])).toThrow(/Cannot compute gradient of y=f\(x\)/);
      return tf.memory().numTensors - before;
    });
    expect(left[1]).toBe(left[0]);
    tf.dispose([a, b]);
    const before = tf.memory().numTensors;
    const xs = tf.tensor1d([-1.5, -0.2, 0.7, 2]);
    // x·x·x uses x three times: f'' = 6x needs the summed first gradient to be differentiable.
    const cube = (x: tf.Tensor) => tf.mul(tf.mul(x, x), x);
    const got = tf.grad(tf.grad(cube))(xs);
    [-1.5, -0.2, 0.7, 2].forEach((x, i) => expect(got.dataSync()[i]).toBeCloseTo(6 * x, 4));
    tf.dispose([xs, got]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('gradient sums on the main job', () => {
  it.each(['main-zero', 'main-one'] as const)(
    '%s: the same loss and gradients bit for bit, no leaks',
    async (setting) => {
      await initBackend('wasm', { quiet: true });
      const s = settingOf(setting);
      const start = tf.memory().numTensors;
      const model = await RVOSModel.create(s.config);
      const batch = randomBatch(s, new Rng(4));
      const runs = [false, true].map((sums) => {
        setGradientSums(sums);
        const before = tf.memory().numTensors;
        const r = gradientsInThread(model, batch, s.loss!);
        const out = { loss: r.loss, grads: new Map([...r.gradients].map(([k, g]) => [k, bits(g)])) };
        tf.dispose([...r.gradients.values()]);
        expect(tf.memory().numTensors).toBe(before);
        return out;
      });
      setGradientSums(true);
      expect(runs[1]!.loss).toBe(runs[0]!.loss);
      expect(runs[1]!.grads.size).toBeGreaterThan(50);
      for (const [name, g] of runs[0]!.grads) expect(runs[1]!.grads.get(name), name).toEqual(g);
      tf.dispose([batch.frames, batch.masks, batch.present]);
      model.dispose();
      expect(tf.memory().numTensors).toBe(start);
    },
    120_000,
  );
});

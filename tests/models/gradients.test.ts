import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RVOSModel, type RVOSModelConfig } from '../../src/models/index.js';
import { pattern, smallConfig } from './helpers.js';

// Back-propagation needs the backend's gradient kernels; where the active backend lacks them (wasm
// before the project's training kernels land) these tests run on cpu. Tiny inputs keep that fast.
const NEEDED = [
  'Conv2DBackpropFilter',
  'Conv2DBackpropInput',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'ResizeBilinearGrad',
  'MaxPoolGrad',
];
let previous = '';
beforeAll(async () => {
  previous = tf.getBackend();
  const missing = NEEDED.filter((k) => tf.getKernel(k, previous) === undefined);
  if (missing.length > 0) {
    console.warn(`[gradients.test] ${previous} lacks ${missing.join(', ')}: using cpu`);
    await tf.setBackend('cpu');
  }
});
afterAll(async () => {
  if (tf.getBackend() !== previous) await tf.setBackend(previous);
});

function softIoULoss(logits: tf.Tensor4D, target: tf.Tensor4D): tf.Scalar {
  const p = tf.sigmoid(logits);
  const inter = tf.sum(tf.mul(p, target), [1, 2]);
  const union = tf.add(tf.sum(tf.sub(tf.add(p, target), tf.mul(p, target)), [1, 2]), 1e-6);
  return tf.mean(tf.sub(1, tf.div(inter, union)));
}

/** Loss summed over a clip, back-propagated through every frame (no state detached). */
function clipLoss(model: RVOSModel, frames: tf.Tensor4D[], targets: tf.Tensor4D[], firstMasks: tf.Tensor4D | null): tf.Scalar {
  let state = model.initialState();
  let loss: tf.Scalar = tf.scalar(0);
  for (let t = 0; t < frames.length; t++) {
    const prev = firstMasks === null ? null : t === 0 ? firstMasks : targets[t - 1]!;
    const out = model.step(frames[t]!, prev, state, { training: true });
    state = out.state;
    loss = tf.add(loss, softIoULoss(out.logits, targets[t]!));
    if (out.objectness !== null) loss = tf.add(loss, tf.mean(tf.sigmoid(out.objectness)));
  }
  return loss;
}

const configs: Partial<RVOSModelConfig>[] = [
  { recurrence: 'ST', mode: 'one_shot', objectness: true },
  { recurrence: 'S', mode: 'zero_shot', objectness: true },
  { recurrence: 'T', mode: 'zero_shot', objectness: false },
  { recurrence: 'T_no_spatial', mode: 'one_shot', objectness: false },
];

describe('gradients', () => {
  for (const overrides of configs) {
    it(`reach every trainable variable with a non-zero value (${overrides.recurrence}, ${overrides.mode})`, async () => {
      const model = await RVOSModel.create(smallConfig({ ...overrides, hidden: 16, slots: 2 }));
      const frames = [0, 1, 2].map((t) => pattern([2, 32, 32, 3], t) as tf.Tensor4D);
      const targets = [0, 1, 2].map((t) => tf.tidy(() => tf.cast(tf.greater(pattern([2, 32, 32, 2], t + 5), 0.5), 'float32')) as tf.Tensor4D);
      const first = overrides.mode === 'one_shot' ? targets[0]! : null;
      const vars = [...model.encoderVariables(), ...model.decoderVariables()];
      const before = tf.memory().numTensors;
      const { value, grads } = tf.variableGrads(() => clipLoss(model, frames, targets, first), vars);
      const names = new Map([...model.namedVariables()].map(([k, v]) => [v.name, k]));
      const dead: string[] = [];
      for (const v of vars) {
        const g = grads[v.name];
        if (g === undefined || tf.tidy(() => tf.sum(tf.abs(g)).dataSync()[0]!) === 0) dead.push(names.get(v.name)!);
      }
      expect(dead).toEqual([]);
      expect(Number.isFinite(value.dataSync()[0])).toBe(true);
      tf.dispose([value, ...Object.values(grads)]);
      // Nothing from the tape or the clip's states survives.
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([...frames, ...targets]);
      model.dispose();
    });
  }

  for (const recurrence of ['S', 'T', 'ST'] as const) {
    it(`${recurrence}: the loss of frame 1 ${recurrence === 'S' ? 'has no' : 'has a'} gradient w.r.t. frame 0 (temporal h not detached)`, async () => {
      const model = await RVOSModel.create(smallConfig({ recurrence, hidden: 8, slots: 2 }));
      const f0 = pattern([1, 32, 32, 3], 0) as tf.Tensor4D;
      const f1 = pattern([1, 32, 32, 3], 1) as tf.Tensor4D;
      const y = tf.ones([1, 32, 32, 2]) as tf.Tensor4D;
      const lossOfFrame1 = (x0: tf.Tensor): tf.Scalar => {
        const a = model.step(x0 as tf.Tensor4D, null, model.initialState(), { training: true });
        const b = model.step(f1, null, a.state, { training: true });
        return softIoULoss(b.logits, y);
      };
      if (recurrence === 'S') {
        expect(() => tf.grad(lossOfFrame1)(f0)).toThrow(/Cannot compute gradient/);
      } else {
        const g = tf.grad(lossOfFrame1)(f0);
        expect(tf.tidy(() => tf.sum(tf.abs(g)).dataSync()[0]!)).toBeGreaterThan(0);
        g.dispose();
      }
      tf.dispose([f0, f1, y]);
      model.dispose();
    });
  }
});

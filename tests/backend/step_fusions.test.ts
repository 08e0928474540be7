// The main job's loss and every gradient with the step's later fusions off and on (the level
// above's upsampling inside the ConvLSTM step op, src/layers/conv_lstm_step.ts, and the head's
// inside its convolution's op, src/layers/conv2d.ts; the soft-IoU and
// empty-slot terms as one op, src/layers/soft_iou_mean.ts; the objectness and foreground
// cross-entropies as one op each, src/layers/bce_mean.ts): the same bits on
// wasm (with the oneDNN addon where it is built; RVOS_NATIVE=0 runs the same file without it) and
// on cpu (the main job's model on a batch of 1 and a clip of 2, which is slow enough there),
// fewer kernel calls, and no tensors left behind.
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/index.js';
import { setFusedKernelsDisabled } from '../../src/backend/fused_kernels/index.js';
import { CONV_LSTM_RESIZE_STEP } from '../../src/backend/fused_kernels/conv_lstm_step.js';
import { RESIZE_CONV2D } from '../../src/backend/fused_kernels/conv2d_grad.js';
import { SOFT_IOU_MEAN } from '../../src/backend/fused_kernels/soft_iou_mean.js';
import { BCE_MEAN } from '../../src/backend/fused_kernels/bce_mean.js';
import { Rng } from '../../src/utils/rng.js';
import { RVOSModel } from '../../src/models/index.js';
import { gradientsInThread } from '../../src/train/parallel/gradients.js';
import { randomBatch, settingOf } from '../../bench/_speed_job.js';
import { float32Bits as bits } from './compare.js';

/** The fused kernels these tests switch; off, the step runs as before they existed. */
const FUSIONS = [CONV_LSTM_RESIZE_STEP, RESIZE_CONV2D, SOFT_IOU_MEAN, BCE_MEAN];

afterAll(async () => {
  setFusedKernelsDisabled(FUSIONS, false);
  await tf.setBackend('wasm');
});

describe.each(['wasm', 'cpu'] as const)('step fusions on %s', (backend) => {
  it.each(['main-zero', 'main-one'] as const)(
    '%s: the same loss and gradients bit for bit in fewer kernel calls, no leaks',
    async (setting) => {
      await initBackend(backend, { quiet: true });
      const main = settingOf(setting);
      const s = backend === 'cpu' ? { ...main, trainBatch: 1, clip: 2 } : main;
      const start = tf.memory().numTensors;
      const model = await RVOSModel.create(s.config);
      const batch = randomBatch(s, new Rng(4));
      const runs: { loss: number; grads: Map<string, number[]>; calls: number }[] = [];
      for (const on of [false, true]) {
        setFusedKernelsDisabled(FUSIONS, !on);
        const before = tf.memory().numTensors;
        let out: { loss: number; grads: Map<string, number[]> } | null = null;
        const profile = await tf.profile(() => {
          const r = gradientsInThread(model, batch, s.loss!);
          out = { loss: r.loss, grads: new Map([...r.gradients].map(([k, g]) => [k, bits(g)])) };
          tf.dispose([...r.gradients.values()]);
        });
        expect(tf.memory().numTensors).toBe(before);
        runs.push({ ...out!, calls: profile.kernels.length });
      }
      setFusedKernelsDisabled(FUSIONS, false);
      const [base, fused] = runs as [(typeof runs)[0], (typeof runs)[0]];
      expect(fused.loss).toBe(base.loss);
      expect(fused.grads.size).toBeGreaterThan(50);
      expect([...fused.grads.keys()].sort()).toEqual([...base.grads.keys()].sort());
      for (const [name, g] of base.grads) expect(fused.grads.get(name), name).toEqual(g);
      // 4 upsamplings a slot and frame, each a resize forward and its gradient; 40 or more calls
      // of the soft-IoU and empty-slot terms and 15 or more of the objectness term a frame.
      expect(base.calls - fused.calls).toBeGreaterThanOrEqual((2 * 4 * s.config.slots + 55) * s.clip);
      tf.dispose([batch.frames, batch.masks, batch.present]);
      model.dispose();
      expect(tf.memory().numTensors).toBe(start);
    },
    180_000,
  );
});

/**
 * Speed of the baseline families beside RVOS one-shot at the same resolution and object count, in
 * process CPU time (the wasm backend is single-threaded, so CPU ms ≈ ms on an idle core):
 * inference ms/frame (fps) through each family's per-video path (RVOS: model.step with the
 * previous masks; baselines: tracker.step), and ms per training step (batch 4, clip 4, gradient
 * of the family's clip loss; the optimiser update is left out, it is the same Adam for all).
 * Settings: the experiment's (configs/experiment/baselines.yaml: 64x64, 3 slots) and 128x128.
 *
 * Usage: npm run bench -- baselines   (env: BENCH_REPEATS=20 inference rounds, BENCH_TRAIN_REPEATS=3, BENCH_SIZES=64,128)
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/index.js';
import { InferenceCore, RVOSModel, type FrameModel, type RVOSModelConfig } from '../src/models/index.js';
import { createBaseline, trainableParameters, type BaselineModelConfig } from '../src/models/baselines/index.js';
import { gradientsFor } from '../src/experiments/run/model_family.js';
import { gradientsInThread } from '../src/train/parallel/gradients.js';
import type { ClipLossOptions } from '../src/train/clip_loss.js';
import type { ClipBatch } from '../src/data/batch.js';

const REPEATS = Number(process.env.BENCH_REPEATS ?? 20);
const TRAIN_REPEATS = Number(process.env.BENCH_TRAIN_REPEATS ?? 3);
const SIZES = (process.env.BENCH_SIZES ?? '64,128').split(',').map(Number);
const SLOTS = 3;
const LOSS: ClipLossOptions = { slotAssignment: 'first_frame', objectnessWeight: 0.5, emptySlotWeight: 1, previousMask: 'gt_prev' };

const rvosConfig: RVOSModelConfig = {
  encoder: { name: 'light', pretrained: null },
  hidden: 32,
  slots: SLOTS,
  recurrence: 'ST',
  mode: 'one_shot',
  objectness: true,
  seed: 1,
};
const baselines: BaselineModelConfig[] = [
  {
    family: 'mobile_prior',
    slots: SLOTS,
    seed: 1,
    mobilePrior: { stemChannels: 16, stemKernel: 7, stageChannels: [32, 64], bottleneck: 16, denseLayers: 3, growth: 8 },
  },
  {
    family: 'siammask',
    slots: SLOTS,
    seed: 1,
    siammask: { channels: 32, templateSize: 32, maskSize: 16, windowInfluence: 0.4, scoreWeight: 1, boxWeight: 1, maskWeight: 2 },
  },
];

/** Square objects in slots 0..S−1 moving one pixel per frame: [B, L, H, W, S]. */
function movingSquares(b: number, l: number, size: number): tf.Tensor5D {
  const side = Math.round(size / 5);
  const v = new Float32Array(b * l * size * size * SLOTS);
  for (let i = 0; i < b; i++)
    for (let t = 0; t < l; t++)
      for (let s = 0; s < SLOTS; s++) {
        const x0 = 4 + s * side + t,
          y0 = 4 + s * side + i;
        for (let y = y0; y < y0 + side; y++) for (let x = x0; x < x0 + side; x++) v[(((i * l + t) * size + y) * size + x) * SLOTS + s] = 1;
      }
  return tf.tensor5d(v, [b, l, size, size, SLOTS]);
}

function batchOf(size: number): ClipBatch {
  const masks = movingSquares(4, 4, size);
  const frames = tf.tidy(() => tf.concat([tf.sum(masks, 4, true), tf.fill([4, 4, size, size, 1], 0.3), tf.mul(tf.sum(masks, 4, true), 0.5)], 4)) as tf.Tensor5D;
  return { frames, masks, present: tf.ones([4, 4, SLOTS]) };
}

/** Process CPU milliseconds per call (user + system): on a shared machine, wall time mostly measures the neighbours. */
function timeIt(fn: () => void, repeats = TRAIN_REPEATS): number {
  fn();
  const t0 = process.cpuUsage();
  for (let i = 0; i < repeats; i++) fn();
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / 1000 / repeats;
}

/** One inference step per call through the inference core (any family), after the objects were given at frame 0. */
function coreStepper(model: FrameModel, frame: tf.Tensor4D, masks: tf.Tensor4D): { step: () => void; dispose: () => void } {
  const core = new InferenceCore(model, { previousMask: 'soft', threshold: 0.5, objectnessThreshold: 0.5 });
  core.step(frame, { ids: [1, 2, 3], masks }).logits.dispose();
  return {
    step: () => {
      const out = core.step(frame);
      tf.tidy(() => tf.sigmoid(out.logits)).dataSync();
      out.logits.dispose();
    },
    dispose: () => core.dispose(),
  };
}

/** CPU ms per step of each stepper, measured in interleaved rounds so that a changing machine load hits all alike. */
function interleaved(steppers: { step: () => void }[]): number[] {
  const total = steppers.map(() => 0);
  for (const s of steppers) s.step();
  for (let r = 0; r < REPEATS; r++) {
    steppers.forEach((s, i) => {
      const t0 = process.cpuUsage();
      s.step();
      const d = process.cpuUsage(t0);
      total[i]! += (d.user + d.system) / 1000;
    });
  }
  return total.map((t) => t / REPEATS);
}

await initBackend(process.env.RVOS_BACKEND === undefined ? 'wasm' : undefined, { quiet: true });
for (const size of SIZES) {
  console.log(`\n${size}x${size}, ${SLOTS} objects, ${REPEATS} interleaved inference rounds (batch 1), ${TRAIN_REPEATS} training steps (batch 4, clip 4)`);
  const batch = batchOf(size);
  const frame = tf.tidy(() => tf.squeeze(tf.slice(batch.frames, [0, 0, 0, 0, 0], [1, 1, -1, -1, -1]), [1])) as tf.Tensor4D;
  const masks = tf.tidy(() => tf.squeeze(tf.slice(batch.masks, [0, 0, 0, 0, 0], [1, 1, -1, -1, -1]), [1])) as tf.Tensor4D;
  const rvos = await RVOSModel.create(rvosConfig);
  const models = baselines.map((c) => createBaseline(c));
  const names = ['rvos one-shot (light, hidden 32)', ...baselines.map((c) => c.family)];
  const params = [[...rvos.namedVariables().values()].filter((v) => v.trainable).reduce((n, v) => n + v.size, 0), ...models.map((m) => trainableParameters(m))];
  const steppers = [rvos, ...models].map((m) => coreStepper(m, frame, masks));
  const inference = interleaved(steppers);
  steppers.forEach((s) => s.dispose());
  const grads = models.map((m) => gradientsFor(m)!);
  const train = [
    timeIt(() => tf.dispose([...gradientsInThread(rvos, batch, LOSS).gradients.values()])),
    ...grads.map((g) => timeIt(() => void g.compute(batch, LOSS).then((r) => tf.dispose([...r.gradients.values()])))),
  ];
  const rows = names.map((n, i) => [n, params[i]!, inference[i]!, train[i]!] as const);
  rvos.dispose();
  models.forEach((m) => m.dispose());
  tf.dispose([batch.frames, batch.masks, batch.present, frame, masks]);
  const base = rows[0]![2];
  console.log('| model | params | CPU ms/frame | fps (1 core) | vs rvos | train CPU ms/step |');
  console.log('|---|---|---|---|---|---|');
  for (const [name, params, ms, train] of rows)
    console.log(`| ${name} | ${params} | ${ms.toFixed(1)} | ${(1000 / ms).toFixed(1)} | ${(base / ms).toFixed(2)}x | ${train.toFixed(0)} |`);
}

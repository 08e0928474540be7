/**
 * Speed of the label-propagation baseline (model=feature_propagation) per frame, in process CPU
 * time, at its configured settings (configs/model/feature_propagation.yaml: 240 px short side,
 * stride-8 tap, top 10, 3 context frames, radius 0.1) on a DAVIS-shaped 240x432 video. The
 * backbone's weights are seeded rather than the ImageNet ones (the same work). Printed: the first
 * video (kernel set-up, window masks made) and a second one (warm), with the window and without it
 * (radius null), so the window's own cost is their difference.
 *
 * Usage: npm run bench -- feature_propagation   (env: BENCH_FP_FRAMES=10)
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/index.js';
import { FeaturePropagationModel } from '../src/models/baselines/feature_propagation/model.js';

const FRAMES = Number(process.env.BENCH_FP_FRAMES ?? 10);
const [H, W] = [240, 432];

await initBackend('wasm');
const frames = Array.from({ length: FRAMES }, (_, t) => tf.randomUniform([1, H, W, 3], 0, 1, 'float32', t) as tf.Tensor4D);
// Two objects: the left half and nothing (a slot given empty).
const masks = tf.tidy(() => tf.concat([tf.concat([tf.ones([1, H, W / 2, 1]), tf.zeros([1, H, W / 2, 1])], 2), tf.zeros([1, H, W, 1])], 3)) as tf.Tensor4D;

/** CPU ms per frame over one video. */
function video(model: FeaturePropagationModel): number {
  let state = model.initialState();
  const start = process.cpuUsage();
  for (let t = 0; t < FRAMES; t++) {
    const out = model.step(frames[t]!, masks, state, t === 0 ? { entering: [0, 1] } : {});
    out.logits.dataSync();
    out.logits.dispose();
    model.disposeState(state);
    state = out.state;
  }
  const cpu = process.cpuUsage(start);
  model.disposeState(state);
  return (cpu.user + cpu.system) / 1000 / FRAMES;
}

console.log(`feature_propagation, ${H}x${W} video of ${FRAMES} frames, CPU ms/frame (first video; warm video)`);
const rows: [string, number][] = [];
for (const radius of [0.1, null]) {
  const before = tf.memory().numTensors;
  const model = FeaturePropagationModel.create({
    family: 'feature_propagation',
    slots: 2,
    seed: 1,
    featurePropagation: {
      pretrained: null,
      inputShortSide: 240,
      tapStride: 8,
      topK: 10,
      temperature: 0.05,
      contextFrames: 3,
      radius,
      givenRadius: 'same',
      maxAffinityElements: 4194304,
      motionShortSide: 120,
      motionWeight: 0.5,
      motionRegions: 'largest',
      motionAlignment: 'translation',
      motionTolerance: 0,
      motionKeepsFirstFrame: true,
      motionAtPixels: false,
    },
  });
  const first = video(model);
  const warm = video(model);
  const label = radius === null ? 'no window' : `window radius ${radius}`;
  console.log(`  ${label}: ${first.toFixed(1)}; ${warm.toFixed(1)}`);
  rows.push([label, warm]);
  model.dispose();
  if (tf.memory().numTensors !== before) throw new Error(`feature_propagation bench: ${tf.memory().numTensors - before} tensor(s) left after dispose`);
}
console.log(`  the window's own cost, warm: ${(rows[0]![1] - rows[1]![1]).toFixed(1)} ms/frame`);
tf.dispose([...frames, masks]);

/**
 * Cost of a training step with the pretrained MobileNetV2 (encoder.pretrained=nsfwjs) fine-tuned,
 * frozen, and frozen + truncated, in the main job's one-shot setting with global matching
 * (experiment=main model.mode=one_shot encoder=mobilenetv2 model.inputs=[prev_mask,global_matching],
 * batch 4, clip 4, 5 slots). A step = the clip loss's gradient + gradient clipping + Adam, as in
 * the trainer, on random frames with moving-square masks (the cost does not depend on content).
 * Prints wall ms/step and process CPU ms/step (the machine is shared: CPU time is the comparable
 * number).
 *
 * Usage: npm run bench -- frozen_encoder   (env: BENCH_STEPS=3, BENCH_SIZES=96,128,
 *        BENCH_SETTINGS=fine,frozen,frozen16,frozen8, BENCH_PROFILE=1 for a by-kernel table)
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/index.js';
import { composeConfig } from '../src/config/index.js';
import { modelConfigOf } from '../src/experiments/run/run.js';
import { RVOSModel } from '../src/models/index.js';
import { Adam, clipByGlobalNorm } from '../src/train/adam.js';
import type { ClipBatch } from '../src/data/batch.js';
import type { ClipLossOptions } from '../src/train/clip_loss.js';
import { gradientsInThread } from '../src/train/parallel/gradients.js';
import { Rng } from '../src/utils/rng.js';
import { kernelTable } from './_kernel_profile.js';

const STEPS = Number(process.env.BENCH_STEPS ?? 3);
const SIZES = (process.env.BENCH_SIZES ?? '96,128').split(',').map(Number);
const SETTINGS: Record<string, string[]> = {
  fine: ['encoder.freeze=none'],
  frozen: ['encoder.freeze=all'],
  frozen16: ['encoder.freeze=all', 'encoder.output_stride=16'],
  frozen8: ['encoder.freeze=all', 'encoder.output_stride=8'],
  last2_16: ['encoder.freeze=2', 'encoder.output_stride=16'],
  // Fewer global-matching reference pixels per object in training (FEELVOS: 1024; inference keeps all).
  frozen16_ref256: ['encoder.freeze=all', 'encoder.output_stride=16', 'model.matching.max_reference=256'],
  // The main job's light encoder from scratch at the same size: the decoder and matching alone cost about this.
  light: ['encoder=light', 'encoder.pretrained=null'],
};
const WANTED = (process.env.BENCH_SETTINGS ?? 'fine,frozen,frozen16,frozen8').split(',');
const configDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'configs');

/** Squares moving a pixel per frame, one per slot: masks [B, L, H, W, S]. */
function clip(b: number, l: number, size: number, slots: number, rng: Rng): ClipBatch {
  const frames = new Float32Array(b * l * size * size * 3).map(() => rng.next());
  const masks = new Float32Array(b * l * size * size * slots);
  const side = Math.round(size / 5);
  for (let bi = 0; bi < b; bi++)
    for (let t = 0; t < l; t++)
      for (let s = 0; s < slots; s++)
        for (let y = 0; y < side; y++)
          for (let x = 0; x < side; x++) {
            const yy = (s * side + y + t) % size;
            const xx = (s * side + x + 2 * t) % size;
            masks[(((bi * l + t) * size + yy) * size + xx) * slots + s] = 1;
          }
  return {
    frames: tf.tensor5d(frames, [b, l, size, size, 3]),
    masks: tf.tensor5d(masks, [b, l, size, size, slots]),
    present: tf.ones([b, l, slots]) as tf.Tensor3D,
  };
}

function cpuMs(u: NodeJS.CpuUsage): number {
  return (u.user + u.system) / 1000;
}

const base = [
  'experiment=main',
  'model.mode=one_shot',
  'encoder=mobilenetv2',
  'encoder.pretrained=nsfwjs',
  'model.motion_input=false',
  'model.inputs=[prev_mask,global_matching]',
];
let backendShown = false;
console.log('| size | setting | trainable encoder params | wall ms/step | CPU ms/step | steps/s (wall) | steps/s (CPU) |');
console.log('|---|---|---|---|---|---|---|');
for (const size of SIZES) {
  for (const name of WANTED) {
    const composed = composeConfig({ configDir, overrides: [...base, `data.size=[${size},${size}]`, ...SETTINGS[name]!] });
    const config = composed.config;
    if (!backendShown) {
      const b = await initBackend(config.backend, { quiet: true });
      console.error(`backend: ${b.backend}`);
      backendShown = true;
    }
    const model = await RVOSModel.create(modelConfigOf(config));
    const named = model.namedVariables();
    const enc = new Set(model.encoderVariables());
    const optimizer = new Adam(
      [
        { variables: new Map([...named].filter(([, v]) => enc.has(v) && v.trainable)), lr: config.train.encoder_lr },
        { variables: new Map([...named].filter(([, v]) => !enc.has(v) && v.trainable)), lr: config.train.lr },
      ],
      { weightDecay: config.train.weight_decay },
    );
    const loss: ClipLossOptions = { slotAssignment: config.train.slot_assignment, objectnessWeight: 0, emptySlotWeight: 0, previousMask: 'gt_prev' };
    const rng = new Rng(1);
    const step = (): void => {
      const b = clip(config.data.batch_size, config.data.clip_length, size, config.model.slots, rng);
      const g = gradientsInThread(model, b, loss);
      if ((config.train.grad_clip ?? 0) > 0) clipByGlobalNorm(g.gradients, config.train.grad_clip!);
      optimizer.apply(g.gradients, 1);
      tf.dispose([...g.gradients.values(), b.frames, b.masks, b.present]);
    };
    step(); // warm-up: kernel set-up, wasm heap growth
    const wall0 = performance.now();
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < STEPS; i++) step();
    const cpu = cpuMs(process.cpuUsage(cpu0)) / STEPS;
    const wall = (performance.now() - wall0) / STEPS;
    if (process.env.BENCH_PROFILE === '1') {
      const info = await tf.profile(() => step());
      console.error(`${size} ${name}:\n${(await kernelTable(info, 14)).lines.join('\n')}`);
    }
    const params = model.encoderVariables().reduce((n, v) => n + v.size, 0);
    console.log(`| ${size} | ${name} | ${params} | ${wall.toFixed(0)} | ${cpu.toFixed(0)} | ${(1000 / wall).toFixed(2)} | ${(1000 / cpu).toFixed(2)} |`);
    optimizer.dispose();
    model.dispose();
  }
}

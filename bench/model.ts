/**
 * RVOS model speed: RVOS-small (ResNet-18, 128x224, hidden 128, 10 slots, zero-shot, ST) and the
 * light CPU config. Inference: ms/frame at batch 1, carrying the recurrent state. Training:
 * ms/step at batch 2, clip 3, soft-IoU loss summed over the clip, full back-propagation through
 * the clip, Adam over every trainable variable. When /usr/bin/python3 has torch, the PyTorch peer
 * (the script RVOS_TORCH_PEER names) runs with the same settings in this run and ratios are printed.
 * Ends with a tf.profile by-kernel breakdown of one RVOS-small training step.
 *
 * Usage: npm run bench -- model   (env: BENCH_REPEATS=5, BENCH_SKIP_PEER=1, BENCH_PROFILE=0)
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/index.js';
import { RVOSModel, type RVOSModelConfig } from '../src/models/index.js';
import { Rng } from '../src/utils/rng.js';
import { kernelTable } from './_kernel_profile.js';

interface Setting {
  label: string;
  config: RVOSModelConfig;
  height: number;
  width: number;
  peer: boolean;
}

const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);
const INFER_BATCH = 1;
const TRAIN_BATCH = 2;
const CLIP = 3;

const settings: Setting[] = [
  {
    label: 'RVOS-small (resnet18, 128x224, hidden 128, 10 slots, zero-shot ST)',
    config: { encoder: { name: 'resnet18', pretrained: null }, hidden: 128, slots: 10, recurrence: 'ST', mode: 'zero_shot', objectness: false, seed: 0 },
    height: 128,
    width: 224,
    peer: true,
  },
  {
    label: 'light (light encoder, 128x224, hidden 32, 10 slots, zero-shot ST, objectness)',
    config: { encoder: { name: 'light', pretrained: null }, hidden: 32, slots: 10, recurrence: 'ST', mode: 'zero_shot', objectness: true, seed: 0 },
    height: 128,
    width: 224,
    peer: false,
  },
];

function randomTensor(shape: number[], rng: Rng, binary = false): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = binary ? (rng.next() > 0.5 ? 1 : 0) : rng.next();
  return tf.tensor(v, shape);
}

function softIoULoss(logits: tf.Tensor4D, target: tf.Tensor4D): tf.Scalar {
  const p = tf.sigmoid(logits);
  const inter = tf.sum(tf.mul(p, target), [1, 2]);
  const union = tf.add(tf.sum(tf.sub(tf.add(p, target), tf.mul(p, target)), [1, 2]), 1e-6);
  return tf.mean(tf.sub(1, tf.div(inter, union)));
}

function inferenceMs(model: RVOSModel, frame: tf.Tensor4D): number {
  let state = model.initialState();
  const stepOnce = (): void => {
    const out = model.step(frame, null, state);
    out.logits.dataSync();
    model.disposeState(state);
    state = out.state;
    tf.dispose([out.logits, out.objectness ?? []].flat());
  };
  for (let i = 0; i < 2; i++) stepOnce();
  const t0 = performance.now();
  for (let i = 0; i < REPEATS; i++) stepOnce();
  const ms = (performance.now() - t0) / REPEATS;
  model.disposeState(state);
  return ms;
}

function makeTrainStep(model: RVOSModel, clip: tf.Tensor4D[], targets: tf.Tensor4D[]): () => number {
  const optimizer = tf.train.adam(1e-3);
  const vars = [...model.encoderVariables(), ...model.decoderVariables()];
  return () => {
    const cost = optimizer.minimize(
      () => {
        let state = model.initialState();
        let loss: tf.Scalar = tf.scalar(0);
        for (let t = 0; t < clip.length; t++) {
          const out = model.step(clip[t]!, null, state, { training: true });
          state = out.state;
          loss = tf.add(loss, softIoULoss(out.logits, targets[t]!));
          if (out.objectness !== null) loss = tf.add(loss, tf.mul(0.1, tf.mean(tf.sigmoid(out.objectness))));
        }
        return loss;
      },
      true,
      vars,
    )!;
    const v = cost.dataSync()[0]!;
    cost.dispose();
    return v;
  };
}

function timeTraining(step: () => number): number {
  step();
  const t0 = performance.now();
  for (let i = 0; i < REPEATS; i++) step();
  return (performance.now() - t0) / REPEATS;
}

async function profileStep(step: () => number): Promise<void> {
  const info = await tf.profile(() => {
    step();
  });
  const table = await kernelTable(info, 20);
  console.log(
    `\ntf.profile of one RVOS-small training step: ${table.calls} kernel calls, ${table.totalMs.toFixed(0)} ms kernel time, peak ${table.peakMiB.toFixed(0)} MiB`,
  );
  for (const line of table.lines) console.log(line);
}

interface PeerResult {
  peer: string;
  infer_ms_per_frame: number;
  train_ms_per_step: number;
}

function runPeer(s: Setting): PeerResult | string {
  if (process.env.BENCH_SKIP_PEER === '1') return 'skipped (BENCH_SKIP_PEER=1)';
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import torch, torchvision'], { encoding: 'utf8' });
  if (probe.status !== 0) return 'skipped: /usr/bin/python3 cannot import torch + torchvision (apt-get install -y python3-torch python3-torchvision)';
  const script = process.env.RVOS_TORCH_PEER;
  if (script === undefined || script === '') return 'skipped: set RVOS_TORCH_PEER to the PyTorch RVOS timing script (torch_rvos.py)';
  if (!fs.existsSync(script)) return `skipped: RVOS_TORCH_PEER=${script} not found`;
  const args = [
    script,
    '--backbone',
    s.config.encoder.name,
    '--height',
    String(s.height),
    '--width',
    String(s.width),
    '--hidden',
    String(s.config.hidden),
    '--slots',
    String(s.config.slots),
    '--mode',
    s.config.mode === 'one_shot' ? 'one-shot' : 'zero-shot',
    '--batch',
    String(TRAIN_BATCH),
    '--clip',
    String(CLIP),
    '--threads',
    '2',
    '--repeats',
    String(REPEATS),
  ];
  const r = spawnSync('/usr/bin/python3', args, { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) return `failed (exit ${r.status}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`;
  const line = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as PeerResult;
}

async function main(): Promise<void> {
  const report = await initBackend(undefined, { quiet: true });
  console.log(
    `backend: ${report.backend} (${report.reason}); repeats ${REPEATS}; inference batch ${INFER_BATCH}; training batch ${TRAIN_BATCH}, clip ${CLIP}, Adam, soft-IoU, full BPTT`,
  );
  let profiledStep: (() => number) | null = null;
  const keep: { model: RVOSModel; tensors: tf.Tensor[] }[] = [];
  for (const s of settings) {
    const rng = new Rng(1);
    const model = await RVOSModel.create(s.config);
    const frame = randomTensor([INFER_BATCH, s.height, s.width, 3], rng) as tf.Tensor4D;
    const infer = inferenceMs(model, frame);
    const clip = Array.from({ length: CLIP }, () => randomTensor([TRAIN_BATCH, s.height, s.width, 3], rng) as tf.Tensor4D);
    const targets = Array.from({ length: CLIP }, () => randomTensor([TRAIN_BATCH, s.height, s.width, s.config.slots], rng, true) as tf.Tensor4D);
    const step = makeTrainStep(model, clip, targets);
    const train = timeTraining(step);
    console.log(`\n${s.label}\n  tfjs-${report.backend}: inference ${infer.toFixed(1)} ms/frame, training ${train.toFixed(0)} ms/step`);
    if (s.peer) {
      const peer = runPeer(s);
      if (typeof peer === 'string') {
        console.log(`  peer: ${peer}`);
      } else {
        console.log(`  ${peer.peer} (2 threads): inference ${peer.infer_ms_per_frame} ms/frame, training ${peer.train_ms_per_step} ms/step`);
        console.log(
          `  ratio tfjs/pytorch: inference ${(infer / peer.infer_ms_per_frame).toFixed(2)}x (target ≤ 1.5x), training ${(train / peer.train_ms_per_step).toFixed(2)}x (target ≤ 3x)`,
        );
      }
      profiledStep = step;
      keep.push({ model, tensors: [frame, ...clip, ...targets] });
    } else {
      tf.dispose([frame, ...clip, ...targets]);
      model.dispose();
    }
  }
  if (profiledStep !== null && process.env.BENCH_PROFILE !== '0') await profileStep(profiledStep);
  for (const k of keep) {
    tf.dispose(k.tensors);
    k.model.dispose();
  }
}

await main();

/**
 * One measurement of bench/speed.ts, run in its own process: a setting (model + sizes), a kernel
 * variant (before/after the fused and fast-path kernels on wasm alone; native = after + oneDNN convolutions), a
 * worker count, and what to measure. Not a bench by itself
 * (bench/index.ts skips files starting with "_").
 */
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/index.js';
import { setFusedKernelsDisabled, setFusedKernelsEnabled } from '../src/backend/fused_kernels/index.js';
import { BATCH_NORM_TRAIN, MOVING_MOMENTS } from '../src/backend/fused_kernels/batch_norm_train.js';
import { RELU_GRAD } from '../src/backend/fused_kernels/broadcast_grads.js';
import { NORMALIZE_INPUT } from '../src/backend/fused_kernels/normalize_input.js';
import { CONV_LSTM_RESIZE_STEP, CONV_LSTM_STEP } from '../src/backend/fused_kernels/conv_lstm_step.js';
import { SOFT_IOU_MEAN } from '../src/backend/fused_kernels/soft_iou_mean.js';
import { BCE_MEAN } from '../src/backend/fused_kernels/bce_mean.js';
import { CONV2D_GRAD, RESIZE_CONV2D } from '../src/backend/fused_kernels/conv2d_grad.js';
import { composeConfig } from '../src/config/index.js';
import { mainJobOverrides } from '../src/experiments/launch/experiment.js';
import { clipLossOptionsOf, modelConfigOf } from '../src/experiments/run/run.js';
import { setTapeSavesShared } from '../src/backend/tape_saves.js';
import { setGradientSums } from '../src/backend/gradient_sums.js';
import { nativeStatus } from '../src/backend/native/index.js';
import { setWasmKernelOptions } from '../src/backend/wasm_kernels/kernel_options.js';
import { memorySequence, type VideoSequence } from '../src/data/index.js';
import { synthesizeVideo } from '../src/data/index.js';
import { evaluateModel } from '../src/experiments/run/evaluate_model.js';
import { InferenceCore, RVOSModel, type RVOSModelConfig } from '../src/models/index.js';
import { Adam, clipByGlobalNorm } from '../src/train/adam.js';
import type { ClipLossOptions } from '../src/train/clip_loss.js';
import type { ClipBatch } from '../src/data/batch.js';
import { InThreadGradients, type GradientProvider } from '../src/train/parallel/gradients.js';
import { WorkerGradients } from '../src/train/parallel/worker_gradients.js';
import { Rng } from '../src/utils/rng.js';
import { kernelTable } from './_kernel_profile.js';
import { convThroughput } from './_native_gflops.js';

export type SettingName = 'small-zero' | 'small-one' | 'light-zero' | 'light-one' | 'main-zero' | 'main-one';

export interface Job {
  setting: SettingName;
  /** before/after the fused and fast-path kernels on wasm alone; `native`: after + the oneDNN convolutions. */
  variant: 'before' | 'after' | 'native';
  workers: number;
  repeats: number;
  measure: ('infer' | 'train' | 'eval' | 'profile' | 'gflops' | 'steps' | 'calls')[];
  /** `steps`: how many consecutive trainer steps to time (a short run, not a best-of). */
  steps?: number;
  /** `train`: untimed trainer steps before the timed ones (default 1; see bench/speed.ts mainJob). */
  warmup?: number;
  /** RVOS_NATIVE_SHARE for this process: 2 = one of the main job's two concurrent runs. */
  nativeShare?: number;
  /** RVOS_NATIVE_THREADS for this process (1: one OpenMP thread, as the peer's --threads 1). */
  nativeThreads?: number;
  /** `calls`: count with the step's fused kernels (batch norm, ReLU gradient, input normalisation), its one-node ops (ConvLSTM step, convolution) and the summed gradients (src/backend/gradient_sums.ts) switched off. */
  unfused?: boolean;
}

export interface JobResult {
  inferMs?: number;
  trainMs?: number;
  /** Mean over the timed training steps (the peer reports its mean too). */
  trainMeanMs?: number;
  /**
   * CPU time of the busiest thread during the best training step (Linux /proc): what the step
   * would take with a free core per thread. On a shared machine the scheduler (autogroup) gives a
   * process the same share however many threads it runs, so wall time cannot show a parallel
   * speed-up there; this can.
   */
  trainCriticalCpuMs?: number;
  /** Process CPU time (user + system, all threads) per timed training step, the mean over the steps. */
  trainCpuMeanMs?: number;
  /** CPU ms per training step of the main thread and of the others (cpuByThreadName). */
  trainCpuByThread?: Record<string, number>;
  evalFps?: number;
  peakRssMiB: number;
  wasmHeapMiB: number;
  load: string;
  profile?: string;
  /** GFLOP/s per convolution kind, native vs wasm (./_native_gflops.ts). */
  gflops?: string;
  /** `steps`: training steps per minute over the whole short run, and its busiest thread's CPU ms per step. */
  stepsPerMin?: number;
  stepsCpuMs?: number;
  /** `calls`: kernel calls of one training step (tf.profile, nested kernels included). */
  stepKernelCalls?: number;
  /** Why the native variant could not run (then nothing else is measured). */
  problem?: string;
}

interface Setting {
  config: RVOSModelConfig;
  size: [number, number];
  trainBatch: number;
  clip: number;
  /** Objects per synthetic clip / video. */
  objects: [number, number];
  /** The clip loss (default: first-frame matching, no objectness or empty-slot terms). */
  loss?: ClipLossOptions;
}

export function settingOf(name: SettingName): Setting {
  const mode = name.endsWith('one') ? 'one_shot' : 'zero_shot';
  if (name.startsWith('main')) {
    // The main job exactly: its run of this mode, as `rvos main` composes it (its model, batch, clip and loss).
    const configDir = path.resolve(here, '../configs');
    // BENCH_MAIN_OVERRIDES (space-separated, e.g. model.recurrence=ST): the main job with these on
    // top, to time like with like where the main job's mode differs from the peer.
    const extra = (process.env.BENCH_MAIN_OVERRIDES ?? '').split(/\s+/).filter((o) => o !== '');
    const config = composeConfig({ configDir, overrides: [...mainJobOverrides(mode, configDir), ...extra] }).config;
    return {
      config: modelConfigOf(config),
      size: [config.data.size[0], config.data.size[1]],
      trainBatch: config.data.batch_size,
      clip: config.data.clip_length,
      objects: [config.data.synth.objects[0], config.data.synth.objects[1]],
      loss: { ...clipLossOptionsOf(config), previousMask: 'gt_prev' },
    };
  }
  if (name.startsWith('small')) {
    return {
      config: { encoder: { name: 'resnet18', pretrained: null }, hidden: 128, slots: 10, recurrence: 'ST', mode, objectness: false, seed: 0 },
      size: [128, 224],
      trainBatch: 2,
      clip: 3,
      objects: [1, 3],
    };
  }
  // configs/experiment/main.yaml on the default model/encoder groups.
  return {
    config: { encoder: { name: 'light', pretrained: null }, hidden: 32, slots: 3, recurrence: 'ST', mode, objectness: true, seed: 0 },
    size: [64, 64],
    trainBatch: 4,
    clip: 4,
    objects: [1, 3],
  };
}

const here = path.dirname(fileURLToPath(import.meta.url));

const LOSS: ClipLossOptions = { slotAssignment: 'first_frame', objectnessWeight: 0, emptySlotWeight: 0, previousMask: 'gt_prev' };

function random(shape: number[], rng: Rng, binary = false): Float32Array {
  const v = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < v.length; i++) v[i] = binary ? (rng.next() > 0.5 ? 1 : 0) : rng.next();
  return v;
}

export function randomBatch(s: Setting, rng: Rng): ClipBatch {
  const [h, w] = s.size;
  const { slots } = s.config;
  const b = s.trainBatch,
    l = s.clip;
  // The first half of the slots hold objects (present in every frame), like the peer's random targets.
  const present = Array.from({ length: b * l * slots }, (_, i) => (i % slots < Math.ceil(slots / 2) ? 1 : 0));
  return {
    frames: tf.tensor(random([b, l, h, w, 3], rng), [b, l, h, w, 3]) as tf.Tensor5D,
    masks: tf.tensor(random([b, l, h, w, slots], rng, true), [b, l, h, w, slots]) as tf.Tensor5D,
    present: tf.tensor(present, [b, l, slots]) as tf.Tensor3D,
  };
}

let ticksPerSecond: number | null = null;

/** CPU milliseconds per thread id of this process (empty where /proc is absent). */
function threadCpu(): Map<string, number> {
  const out = new Map<string, number>();
  try {
    ticksPerSecond ??= Number(execSync('getconf CLK_TCK', { encoding: 'utf8' }).trim()) || 100;
    for (const tid of fs.readdirSync('/proc/self/task')) {
      const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // Fields 14 and 15 of stat (utime, stime), counted from the state field (3).
      out.set(tid, ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond);
    }
  } catch {
    // Not Linux: no per-thread times.
  }
  return out;
}

/**
 * CPU ms of the main thread and of all others between two threadCpu() readings. Node 20 names
 * every thread `node` (/proc/self/task/TID/comm), so the others (V8's platform workers: background
 * compilation and garbage collection; libuv's pool; OpenMP's threads) are counted together.
 */
function cpuByThreadName(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = { main: 0, 'other threads': 0 };
  for (const [tid, ms] of after) out[tid === String(process.pid) ? 'main' : 'other threads']! += ms - (before.get(tid) ?? 0);
  return out;
}

function busiestThreadMs(before: Map<string, number>, after: Map<string, number>): number {
  let best = 0;
  for (const [tid, ms] of after) best = Math.max(best, ms - (before.get(tid) ?? 0));
  return best;
}

let peakHeap = 0;
function sampleHeap(): void {
  const wasm = (tf.engine().backend as unknown as { wasm?: { HEAPU8: Uint8Array } }).wasm;
  if (wasm !== undefined) peakHeap = Math.max(peakHeap, wasm.HEAPU8.buffer.byteLength);
}

function inferenceMs(model: RVOSModel, s: Setting, repeats: number, rng: Rng): number {
  const [h, w] = s.size;
  const frame = tf.tensor(random([1, h, w, 3], rng), [1, h, w, 3]) as tf.Tensor4D;
  const prev = s.config.mode === 'one_shot' ? (tf.tensor(random([1, h, w, s.config.slots], rng), [1, h, w, s.config.slots]) as tf.Tensor4D) : null;
  let state = model.initialState();
  const once = (): void => {
    const out = model.step(frame, prev, state);
    out.logits.dataSync();
    model.disposeState(state);
    state = out.state;
    tf.dispose([out.logits, ...(out.objectness ? [out.objectness] : [])]);
  };
  for (let i = 0; i < 2; i++) once();
  // Best of the repeats: the machine is shared, the minimum is the least disturbed frame.
  let ms = Infinity;
  for (let i = 0; i < Math.max(repeats, 3); i++) {
    const t0 = performance.now();
    once();
    ms = Math.min(ms, performance.now() - t0);
  }
  sampleHeap();
  model.disposeState(state);
  tf.dispose([frame, ...(prev ? [prev] : [])]);
  return ms;
}

/** The trainer's step (./src/train/trainer.ts) without its bookkeeping: provider → clip → Adam. */
export function trainStep(model: RVOSModel, provider: GradientProvider, adam: Adam, batch: ClipBatch, loss: ClipLossOptions): Promise<number> {
  return provider.compute(batch, loss).then((g) => {
    clipByGlobalNorm(g.gradients, 10);
    adam.apply(g.gradients);
    tf.dispose([...g.gradients.values()]);
    sampleHeap();
    return g.loss;
  });
}

async function trainingMs(
  model: RVOSModel,
  s: Setting,
  workers: number,
  repeats: number,
  rng: Rng,
  warmup = 1,
): Promise<{ wall: number; mean: number; criticalCpu: number; cpuMean: number; cpuByThread: Record<string, number> }> {
  const named = model.namedVariables();
  const adam = new Adam([{ variables: new Map([...named].filter(([, v]) => v.trainable)), lr: 1e-4 }]);
  const provider: GradientProvider = workers > 1 ? new WorkerGradients(model, workers) : new InThreadGradients(model);
  const batch = randomBatch(s, rng);
  try {
    // Warm-up (and worker start-up); V8 keeps compiling hot wasm and JavaScript in background threads for tens of steps.
    for (let i = 0; i < Math.max(1, warmup); i++) await trainStep(model, provider, adam, batch, s.loss ?? LOSS);
    let best = Infinity;
    let total = 0;
    let criticalCpu = Infinity;
    const processCpu0 = process.cpuUsage();
    const threads0 = threadCpu();
    for (let i = 0; i < repeats; i++) {
      const cpu0 = threadCpu();
      const t0 = performance.now();
      await trainStep(model, provider, adam, batch, s.loss ?? LOSS);
      const ms = performance.now() - t0;
      best = Math.min(best, ms);
      total += ms;
      criticalCpu = Math.min(criticalCpu, busiestThreadMs(cpu0, threadCpu()));
    }
    const processCpu = process.cpuUsage(processCpu0);
    const byThread = cpuByThreadName(threads0, threadCpu());
    const cpuByThread = Object.fromEntries(Object.entries(byThread).map(([name, ms]) => [name, ms / repeats]));
    return { wall: best, mean: total / repeats, criticalCpu, cpuMean: (processCpu.user + processCpu.system) / 1000 / repeats, cpuByThread };
  } finally {
    tf.dispose([batch.frames, batch.masks, batch.present]);
    adam.dispose();
    await provider.dispose();
  }
}

/** `steps` consecutive trainer steps on fresh random batches after one warm-up step: steps/min and CPU ms/step. */
async function shortRun(model: RVOSModel, s: Setting, steps: number, rng: Rng): Promise<{ perMin: number; cpuMs: number }> {
  const named = model.namedVariables();
  const adam = new Adam([{ variables: new Map([...named].filter(([, v]) => v.trainable)), lr: 1e-4 }]);
  const provider = new InThreadGradients(model);
  const run = async (): Promise<void> => {
    const batch = randomBatch(s, rng);
    try {
      await trainStep(model, provider, adam, batch, s.loss ?? LOSS);
    } finally {
      tf.dispose([batch.frames, batch.masks, batch.present]);
    }
  };
  try {
    await run();
    const cpu0 = threadCpu();
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) await run();
    const ms = performance.now() - t0;
    return { perMin: (steps * 60_000) / ms, cpuMs: busiestThreadMs(cpu0, threadCpu()) / steps };
  } finally {
    adam.dispose();
    await provider.dispose();
  }
}

async function evaluationFps(model: RVOSModel, s: Setting): Promise<number> {
  const rng = new Rng(3);
  const videos = 3;
  const frames = 8;
  const sequences: VideoSequence[] = Array.from({ length: videos }, (_, i) => {
    const v = synthesizeVideo(rng.fork(), { frames, size: s.size, objects: s.objects });
    return memorySequence(`v${i}`, v.frames, v.labels);
  });
  const task = s.config.mode === 'one_shot' ? 'semi_supervised' : 'unsupervised';
  const options = { size: s.size, threshold: 0.5, task } as const;
  const core = new InferenceCore(model, { previousMask: 'soft', threshold: 0.5, objectnessThreshold: 0.5 });
  await evaluateModel(core, sequences.slice(0, 1), options); // warm-up
  const t0 = performance.now();
  await evaluateModel(core, sequences, options);
  sampleHeap();
  return (videos * frames) / ((performance.now() - t0) / 1000);
}

/** Kernel calls of one training step (after a warm-up step), as tf.profile counts them. */
async function stepKernelCalls(model: RVOSModel, s: Setting): Promise<number> {
  const named = model.namedVariables();
  const adam = new Adam([{ variables: new Map([...named].filter(([, v]) => v.trainable)), lr: 1e-4 }]);
  const provider = new InThreadGradients(model);
  const batch = randomBatch(s, new Rng(9));
  try {
    await trainStep(model, provider, adam, batch, s.loss ?? LOSS);
    const info = await tf.profile(async () => {
      await trainStep(model, provider, adam, batch, s.loss ?? LOSS);
    });
    return info.kernels.length;
  } finally {
    tf.dispose([batch.frames, batch.masks, batch.present]);
    adam.dispose();
  }
}

async function profileStep(model: RVOSModel, s: Setting, label: string): Promise<string> {
  const named = model.namedVariables();
  const adam = new Adam([{ variables: new Map([...named].filter(([, v]) => v.trainable)), lr: 1e-4 }]);
  const provider = new InThreadGradients(model);
  const batch = randomBatch(s, new Rng(9));
  await trainStep(model, provider, adam, batch, s.loss ?? LOSS);
  let stepPromise: Promise<number> | null = null;
  const info = await tf.profile(() => {
    stepPromise = trainStep(model, provider, adam, batch, s.loss ?? LOSS);
  });
  await stepPromise;
  const table = await kernelTable(info, Number(process.env.BENCH_PROFILE_TOP ?? 18), 30);
  const lines = [
    `tf.profile of one ${label} training step: ${table.calls} kernel calls, ${table.totalMs.toFixed(0)} ms kernel time ` +
      `(composed kernels include the kernels they call, so shares overlap), peak ${table.peakMiB.toFixed(0)} MiB of tensors`,
    ...table.lines,
  ];
  tf.dispose([batch.frames, batch.masks, batch.present]);
  adam.dispose();
  return lines.join('\n');
}

export async function runJob(job: Job): Promise<JobResult> {
  // The wasm variants measure the wasm kernels alone, also in gradient worker threads (they
  // inherit the environment).
  if (job.variant !== 'native' && !job.measure.includes('gflops')) process.env.RVOS_NATIVE = '0';
  if (job.nativeShare !== undefined) process.env.RVOS_NATIVE_SHARE = String(job.nativeShare);
  if (job.nativeThreads !== undefined) process.env.RVOS_NATIVE_THREADS = String(job.nativeThreads);
  await initBackend('wasm', { quiet: true });
  if (job.variant === 'native' && !nativeStatus().active) {
    return { peakRssMiB: 0, wasmHeapMiB: 0, load: os.loadavg()[0]!.toFixed(1), problem: `native kernels not running: ${nativeStatus().reason}` };
  }
  if (job.measure.includes('gflops')) {
    return { peakRssMiB: 0, wasmHeapMiB: 0, load: os.loadavg()[0]!.toFixed(1), gflops: convThroughput(job.repeats) };
  }
  if (job.variant === 'before') {
    setWasmKernelOptions({ inputGradient: 'zero_dilated', cacheFilters: false, fastTile: false, shareIdentity: false, fastCopies: false });
    setFusedKernelsEnabled(false);
    setTapeSavesShared(false);
    setGradientSums(false);
  }
  // BENCH_STEP_OPS=0: the ConvLSTM step, the convolutions and the loss terms as tfjs-core's ops
  // and tfjs-core's pairwise gradient sums, to time the step without this project's one-node ops.
  const stepOpsOff = process.env.BENCH_STEP_OPS === '0';
  if (stepOpsOff || job.unfused === true) {
    setFusedKernelsDisabled([CONV_LSTM_STEP, CONV_LSTM_RESIZE_STEP, CONV2D_GRAD, RESIZE_CONV2D, SOFT_IOU_MEAN, BCE_MEAN], true);
    setGradientSums(false);
  }
  if (job.unfused === true) setFusedKernelsDisabled([BATCH_NORM_TRAIN, MOVING_MOMENTS, RELU_GRAD, NORMALIZE_INPUT], true);
  const s = settingOf(job.setting);
  const model = await RVOSModel.create(s.config);
  const rng = new Rng(1);
  const result: JobResult = { peakRssMiB: 0, wasmHeapMiB: 0, load: '' };
  if (job.measure.includes('infer')) result.inferMs = inferenceMs(model, s, job.repeats, rng);
  if (job.measure.includes('train')) {
    const t = await trainingMs(model, s, job.workers, job.repeats, rng, job.warmup);
    result.trainMs = t.wall;
    result.trainMeanMs = t.mean;
    if (t.criticalCpu > 0 && Number.isFinite(t.criticalCpu)) result.trainCriticalCpuMs = t.criticalCpu;
    result.trainCpuMeanMs = t.cpuMean;
    result.trainCpuByThread = t.cpuByThread;
  }
  if (job.measure.includes('steps')) {
    const r = await shortRun(model, s, job.steps ?? 60, rng);
    result.stepsPerMin = r.perMin;
    result.stepsCpuMs = r.cpuMs;
  }
  if (job.measure.includes('calls')) result.stepKernelCalls = await stepKernelCalls(model, s);
  if (job.measure.includes('eval')) result.evalFps = await evaluationFps(model, s);
  if (job.measure.includes('profile')) result.profile = await profileStep(model, s, `${job.setting} (${job.variant})`);
  model.dispose();
  result.peakRssMiB = process.resourceUsage().maxRSS / 1024;
  result.wasmHeapMiB = peakHeap / 2 ** 20;
  result.load = os.loadavg()[0]!.toFixed(1);
  return result;
}

// The oneDNN convolutions (src/backend/native) against this project's wasm kernels, which they
// replace: every kernel on seeded random shapes, heap growth, leaks over 1,000 steps, the same
// training loss curve, and the switches. Skips (with the reason) when the addon is not built.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { BatchSource } from '../../src/experiments/run/batch_source.js';
import { memoryDataset, memorySequence, synthesizeVideo } from '../../src/data/index.js';
import { RVOSModel, type RVOSModelConfig } from '../../src/models/index.js';
import { train, type StepInfo } from '../../src/train/trainer.js';
import {
  enableNativeKernels,
  nativeAddon,
  nativeKernelCounts,
  nativeStatus,
  setNativeKernelsEnabled,
  setNativeThreadShare,
  threadsFor,
} from '../../src/backend/native/index.js';
import { nativeSettingsFromEnv } from '../../src/backend/native/settings.js';
import { Rng } from '../../src/utils/rng.js';
import { randomHost, relativeError, type HostTensor } from './compare.js';

const loaded = nativeAddon();
const SKIP =
  loaded.addon === undefined ? ` (skipped: ${loaded.reason})` : process.env.RVOS_NATIVE === '0' ? ' (skipped: RVOS_NATIVE=0, the wasm-only pass)' : '';
if (SKIP) console.warn(`native_kernels.test.ts: oneDNN addon not available${SKIP}`);
const TOLERANCE = 1e-4;

type Shape4 = [number, number, number, number];
type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

interface Case {
  label: string;
  x: HostTensor;
  filter: HostTensor;
  dy: HostTensor;
  bias: HostTensor;
  strides: [number, number];
  dilations: [number, number];
  pad: Pad;
  depthwise: boolean;
}

/** A random legal geometry: odd/even sizes, 1x1–7x7, strides 1–3 or dilation 1–3, every pad mode. */
function randomCase(rng: Rng, depthwise: boolean, padMode: 'same' | 'valid' | 'explicit' | 'number', dilated: boolean): Case {
  const batch = rng.int(2, 3);
  const kh = rng.int(1, 7);
  let kw = rng.int(1, 7);
  // tfjs needs stride 1 when dilation > 1.
  const strides: [number, number] = dilated ? [1, 1] : [rng.int(1, 3), rng.int(1, 3)];
  const dilations: [number, number] = dilated ? [rng.int(1, 3), rng.int(2, 3)] : [1, 1];
  // A numeric pad sizes both axes from the height (tfjs conv_util): square kernels and strides only.
  if (padMode === 'number') {
    kw = kh;
    strides[1] = strides[0];
    dilations[1] = dilations[0];
  }
  const cin = rng.int(1, 9);
  const cout = depthwise ? cin * rng.int(1, 3) : rng.int(1, 17);
  let pad: Pad = padMode === 'same' || padMode === 'valid' ? padMode : 0;
  if (padMode === 'explicit')
    pad = [
      [0, 0],
      [rng.int(0, 3), rng.int(0, 3)],
      [rng.int(0, 3), rng.int(0, 3)],
      [0, 0],
    ];
  else if (padMode === 'number') pad = rng.int(0, 2);
  const effH = (kh - 1) * dilations[0] + 1;
  const effW = (kw - 1) * dilations[1] + 1;
  const h = effH + rng.int(0, 12);
  const w = effW + rng.int(0, 12);
  const filterShape: Shape4 = [kh, kw, cin, depthwise ? cout / cin : cout];
  const info = tf.backend_util.computeConv2DInfo([batch, h, w, cin], filterShape, strides, dilations, pad, undefined, depthwise);
  return {
    label: `${depthwise ? 'depthwise ' : ''}x ${[batch, h, w, cin]} k ${kh}x${kw}→${cout} s ${strides} d ${dilations} pad ${JSON.stringify(pad)}`,
    x: randomHost(rng, [batch, h, w, cin]),
    filter: randomHost(rng, filterShape),
    dy: randomHost(rng, info.outShape),
    bias: randomHost(rng, [cout]),
    strides,
    dilations,
    pad,
    depthwise,
  };
}

const ACTIVATIONS = ['linear', 'relu', 'relu6', 'leakyrelu', 'sigmoid', 'elu'] as const;

/** Every kernel of a case, run through the engine (so registration is what is tested). */
function kernelsOf(c: Case, activation: (typeof ACTIVATIONS)[number]) {
  const geometry = { strides: c.strides, pad: c.pad, dilations: c.dilations, dataFormat: 'NHWC' };
  const backprop = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC' };
  return (x: tf.Tensor, filter: tf.Tensor, dy: tf.Tensor, bias: tf.Tensor): tf.Tensor[] => {
    const run = (name: string, inputs: tf.NamedTensorMap, attrs: object) => tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap) as tf.Tensor;
    const fused = { ...geometry, activation, leakyreluAlpha: 0.15 };
    if (c.depthwise) {
      return [
        run(tf.DepthwiseConv2dNative, { x, filter }, geometry),
        run(tf.FusedDepthwiseConv2D, { x, filter, bias }, fused),
        run(tf.DepthwiseConv2dNativeBackpropInput, { dy, filter }, { ...geometry, inputShape: c.x.shape }),
        run(tf.DepthwiseConv2dNativeBackpropFilter, { x, dy }, { ...geometry, filterShape: c.filter.shape }),
      ];
    }
    const out = [run(tf.Conv2D, { x, filter }, geometry), run(tf.FusedConv2D, { x, filter, bias }, fused)];
    // tfjs's conv2d gradients are for dilation 1 only (the kernels take no dilations).
    if (c.dilations[0] === 1 && c.dilations[1] === 1) {
      out.push(run(tf.Conv2DBackpropInput, { dy, filter }, { ...backprop, inputShape: c.x.shape }));
      out.push(run(tf.Conv2DBackpropFilter, { x, dy }, { ...backprop, filterShape: c.filter.shape }));
    }
    return out;
  };
}

/** Runs `fn` with the native kernels on or off; host copies of the outputs, and tensors leaked. */
function runWith(native: boolean, inputs: HostTensor[], fn: (...t: tf.Tensor[]) => tf.Tensor[]): { outputs: HostTensor[]; leaked: number } {
  const previous = setNativeKernelsEnabled(native);
  try {
    const before = tf.memory().numTensors;
    const dataBefore = tf.engine().backend.numDataIds();
    const tensors = inputs.map((h) => tf.tensor(h.values, h.shape, 'float32'));
    const outs = fn(...tensors);
    const outputs = outs.map((o) => ({ shape: o.shape, values: Float32Array.from(o.dataSync()) }));
    tf.dispose([...outs, ...tensors]);
    return { outputs, leaked: tf.memory().numTensors - before + (tf.engine().backend.numDataIds() - dataBefore) };
  } finally {
    setNativeKernelsEnabled(previous);
  }
}

/** The same kernels on the cpu backend (then back to wasm). */
async function runOnCpu(inputs: HostTensor[], fn: (...t: tf.Tensor[]) => tf.Tensor[]): Promise<{ outputs: HostTensor[] }> {
  await tf.setBackend('cpu');
  try {
    return runWith(false, inputs, fn);
  } finally {
    await tf.setBackend('wasm');
  }
}

let nativeWas = false;
beforeAll(async () => {
  await tf.setBackend('wasm');
  nativeWas = setNativeKernelsEnabled(true);
});
afterAll(() => {
  setNativeKernelsEnabled(nativeWas);
});

describe.skipIf(SKIP !== '')(`native convolutions equal the wasm kernels${SKIP}`, () => {
  const rng = new Rng(1306);
  const pads = ['same', 'valid', 'explicit', 'number'] as const;
  const cases: Case[] = [];
  for (let i = 0; i < 48; i++) cases.push(randomCase(rng, i % 3 === 2, pads[i % 4]!, i % 5 === 4));
  const wasmWrong: string[] = [];
  afterAll(() => {
    if (wasmWrong.length > 0) console.warn(`native_kernels.test.ts: the wasm kernel was wrong (native = cpu) in: ${wasmWrong.join('; ')}`);
  });
  it.each(cases.map((c, i) => [c.label, c, ACTIVATIONS[i % ACTIVATIONS.length]!] as const))('%s', async (_label, c, activation) => {
    const inputs = [c.x, c.filter, c.dy, c.bias];
    const fn = kernelsOf(c, activation);
    const before = nativeKernelCounts();
    const native = runWith(true, inputs, fn);
    const after = nativeKernelCounts();
    const wasm = runWith(false, inputs, fn);
    // Every kernel ran natively (none fell back, none failed), and the results agree.
    expect(after.errors - before.errors, after.lastError).toBe(0);
    expect(after.native - before.native).toBe(native.outputs.length);
    expect(native.leaked).toBe(0);
    for (const [k, out] of native.outputs.entries()) {
      if (relativeError(out, wasm.outputs[k]!) < TOLERANCE) continue;
      // Where they differ the wasm kernel must be the wrong one: the cpu backend agrees with
      // native (XNNPACK's forward convolution with a 1-row filter, stride 3, 'same' padding).
      const cpu = await runOnCpu(inputs, fn);
      expect(relativeError(out, cpu.outputs[k]!), `output ${k} against cpu`).toBeLessThan(TOLERANCE);
      expect(relativeError(wasm.outputs[k]!, cpu.outputs[k]!), `output ${k}: wasm differs from native and cpu`).toBeGreaterThan(TOLERANCE);
      wasmWrong.push(`${c.label} output ${k}`);
    }
  });

  it('falls back to the wasm kernel for what it does not take (NCHW, prelu)', () => {
    const r = new Rng(3);
    const x = randomHost(r, [2, 3, 9, 8]);
    const filter = randomHost(r, [3, 3, 3, 4]);
    const alpha = randomHost(r, [4]);
    // (The NCHW fallback composes transposes around a Conv2D, which itself runs natively.)
    const fn = (xt: tf.Tensor, ft: tf.Tensor, at: tf.Tensor): tf.Tensor[] =>
      tf.tidy(() => [
        tf
          .engine()
          .runKernel(
            tf.Conv2DBackpropFilter,
            { x: xt, dy: tf.ones([2, 4, 5, 4]) },
            { strides: 2, pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 3, 4] },
          ) as tf.Tensor,
        tf.fused.conv2d({
          x: tf.transpose(xt, [0, 2, 3, 1]) as tf.Tensor4D,
          filter: ft as tf.Tensor4D,
          strides: 1,
          pad: 'same',
          activation: 'prelu',
          preluActivationWeights: at,
        }),
      ]);
    const before = nativeKernelCounts();
    const out = runWith(true, [x, filter, alpha], fn);
    const after = nativeKernelCounts();
    expect(after.fallback - before.fallback).toBe(2);
    const wasm = runWith(false, [x, filter, alpha], fn);
    expect(out.leaked).toBe(0);
    out.outputs.forEach((o, k) => expect(relativeError(o, wasm.outputs[k]!)).toBeLessThan(TOLERANCE));
  });
});

describe.skipIf(SKIP !== '')(`native convolutions: memory${SKIP}`, () => {
  it('keeps working when the wasm heap grows (a new ArrayBuffer) between calls', () => {
    const rng = new Rng(11);
    const c = randomCase(rng, false, 'same', false);
    const fn = kernelsOf(c, 'relu');
    const reference = runWith(false, [c.x, c.filter, c.dy, c.bias], fn);
    const backend = tf.engine().backend as unknown as { wasm: { HEAPU8: Uint8Array } };
    const heapBefore = backend.wasm.HEAPU8.buffer;
    const sizeBefore = heapBefore.byteLength;
    // Inputs made before the growth, used after it: the addon must read the new buffer.
    const previous = setNativeKernelsEnabled(true);
    const inputs = [c.x, c.filter, c.dy, c.bias].map((h) => tf.tensor(h.values, h.shape, 'float32'));
    const big = tf.zeros([sizeBefore / 4 + (64 << 20) / 4]);
    expect(backend.wasm.HEAPU8.buffer).not.toBe(heapBefore);
    const outs = fn(...(inputs as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor]));
    big.dispose();
    const values = outs.map((o) => ({ shape: o.shape, values: Float32Array.from(o.dataSync()) }));
    tf.dispose([...outs, ...inputs]);
    setNativeKernelsEnabled(previous);
    values.forEach((v, k) => expect(relativeError(v, reference.outputs[k]!)).toBeLessThan(TOLERANCE));
  });

  it('leaks no tensor and no native memory over 1,000 training steps (primitive cache bounded and flat)', () => {
    const addon = loaded.addon!;
    const rng = new Rng(21);
    // Every native kernel each step: fused conv + depthwise forward, and all four backprops.
    const x = tf.tensor4d(randomHost(rng, [2, 9, 9, 4]).values, [2, 9, 9, 4]);
    const w1 = tf.variable(tf.tensor4d(randomHost(rng, [3, 3, 4, 6], -0.3, 0.3).values, [3, 3, 4, 6]));
    const b1 = tf.variable(tf.zeros([6]));
    const w2 = tf.variable(tf.tensor4d(randomHost(rng, [3, 3, 6, 1], -0.3, 0.3).values, [3, 3, 6, 1]));
    const optimizer = tf.train.sgd(0.01);
    const loss = () =>
      tf.tidy(() => {
        const h = tf.fused.conv2d({ x, filter: w1, bias: b1, strides: 2, pad: 'same', activation: 'relu' });
        return tf.mean(tf.square(tf.depthwiseConv2d(h, w2, 1, 'same')));
      }) as tf.Scalar;
    const tensors: number[] = [];
    const stats: { entries: number; bytes: number }[] = [];
    const rss: number[] = [];
    const losses: number[] = [];
    const calls = addon.stats().calls;
    for (let step = 0; step < 1000; step++) {
      const value = optimizer.minimize(loss, true, [w1, b1, w2])!;
      if (step % 100 === 99) {
        losses.push(value.dataSync()[0]!);
        tensors.push(tf.memory().numTensors);
        stats.push(addon.stats());
        rss.push(process.memoryUsage().rss);
      }
      value.dispose();
    }
    optimizer.dispose();
    tf.dispose([x, w1, b1, w2]);
    // Five native kernels a step (the input gradient of x is not needed), and the loss fell.
    expect(addon.stats().calls - calls).toBeGreaterThanOrEqual(5000);
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]!);
    expect(new Set(tensors).size).toBe(1);
    // The cache stopped growing after the first step's shapes, and holds the same bytes since.
    expect(new Set(stats.map((s) => s.entries)).size).toBe(1);
    expect(new Set(stats.map((s) => s.bytes)).size).toBe(1);
    expect(stats[0]!.entries).toBeLessThanOrEqual(addon.stats().cacheCapacity);
    // The process's resident memory over the last 900 steps: flat within allocator noise.
    expect(rss[rss.length - 1]! - rss[0]!).toBeLessThan(16 << 20);
  }, 600_000);

  it('bounds the primitive cache by its capacity when shapes keep changing', () => {
    const addon = loaded.addon!;
    const capacity = addon.stats().cacheCapacity;
    const filter = tf.ones([1, 1, 1, 1]) as tf.Tensor4D;
    for (let i = 0; i < capacity + 20; i++) tf.tidy(() => tf.conv2d(tf.ones([1, 1, i + 1, 1]) as tf.Tensor4D, filter, 1, 'valid').dataSync());
    filter.dispose();
    expect(addon.stats().entries).toBeLessThanOrEqual(capacity);
  });
});

describe.skipIf(SKIP !== '')(`native convolutions: training${SKIP}`, () => {
  const SIZE: [number, number] = [32, 32];
  const config: RVOSModelConfig = {
    encoder: { name: 'light', pretrained: null },
    hidden: 8,
    slots: 2,
    recurrence: 'ST',
    mode: 'one_shot',
    objectness: true,
    seed: 4,
  };
  const dataset = () => {
    const rng = new Rng(8);
    return memoryDataset(
      Array.from({ length: 3 }, (_, i) => {
        const v = synthesizeVideo(rng.fork(), { frames: 3, size: SIZE, objects: [1, 2] });
        return memorySequence(`v${i}`, v.frames, v.labels);
      }),
    );
  };

  async function lossCurve(native: boolean, steps: number): Promise<{ losses: number[]; tensors: number[] }> {
    const previous = setNativeKernelsEnabled(native);
    const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rvos-native-'));
    const source = new BatchSource(dataset(), { length: 2, size: SIZE, slots: 2, augment: null, batchSize: 2, seed: 13, prefetch: 0 });
    const model = await RVOSModel.create(config);
    const losses: number[] = [];
    const tensors: number[] = [];
    try {
      await train(
        model,
        {
          runDir,
          stages: [{ name: 'train', steps, previousMask: 'gt_prev' }],
          lr: 3e-3,
          encoderLr: 2e-3,
          weightDecay: 1e-5,
          gradClip: 5,
          loss: { slotAssignment: 'first_frame', objectnessWeight: 0.5, emptySlotWeight: 1 },
          valEvery: 0,
          ckptEvery: 1000,
          patience: 0,
          logEvery: 1,
          keepCheckpoints: 1,
          resume: false,
        },
        { batch: (s) => source.batch(s), onStep: (i: StepInfo) => (losses.push(i.loss), tensors.push(i.numTensors)) },
      );
    } finally {
      model.dispose();
      setNativeKernelsEnabled(previous);
      fs.rmSync(runDir, { recursive: true, force: true });
    }
    return { losses, tensors };
  }

  it('follows the wasm loss curve step for step on the light RVOS model (same seed)', async () => {
    const steps = 6;
    const calls = loaded.addon!.stats().calls;
    const wasm = await lossCurve(false, steps);
    expect(loaded.addon!.stats().calls).toBe(calls);
    const native = await lossCurve(true, steps);
    expect(loaded.addon!.stats().calls).toBeGreaterThan(calls);
    for (let i = 0; i < steps; i++) expect(Math.abs(native.losses[i]! - wasm.losses[i]!), `step ${i}`).toBeLessThan(2e-3 * Math.max(1, wasm.losses[i]!));
    expect(new Set(native.tensors.slice(1)).size).toBe(1);
  }, 600_000);
});

describe('native settings and switches', () => {
  it('reads RVOS_NATIVE and RVOS_NATIVE_THREADS, naming the variable on a bad value', () => {
    expect(nativeSettingsFromEnv({})).toEqual({ enabled: true, threads: undefined });
    expect(nativeSettingsFromEnv({ RVOS_NATIVE: '0', RVOS_NATIVE_THREADS: '3' })).toEqual({ enabled: false, threads: 3 });
    expect(() => nativeSettingsFromEnv({ RVOS_NATIVE: 'yes' })).toThrow(/RVOS_NATIVE=yes/);
    expect(() => nativeSettingsFromEnv({ RVOS_NATIVE_THREADS: '0' })).toThrow(/RVOS_NATIVE_THREADS=0/);
  });

  it('splits the cores among gradient threads', () => {
    expect(threadsFor(1, 2)).toBe(2);
    expect(threadsFor(2, 2)).toBe(1);
    expect(threadsFor(3, 2)).toBe(1);
    expect(threadsFor(2, 16)).toBe(8);
  });

  it.skipIf(SKIP !== '')('RVOS_NATIVE=0 runs the wasm kernels; unset runs oneDNN with the cores share of threads', () => {
    const saved = { flag: process.env.RVOS_NATIVE, threads: process.env.RVOS_NATIVE_THREADS, share: process.env.RVOS_NATIVE_SHARE };
    const restore = (key: string, value: string | undefined) => (value === undefined ? delete process.env[key] : (process.env[key] = value));
    try {
      process.env.RVOS_NATIVE = '0';
      expect(enableNativeKernels()).toMatchObject({ active: false, reason: 'switched off by RVOS_NATIVE=0' });
      const calls = loaded.addon!.stats().calls;
      tf.tidy(() => tf.conv2d(tf.ones([1, 5, 5, 2]) as tf.Tensor4D, tf.ones([3, 3, 2, 2]) as tf.Tensor4D, 1, 'same').dataSync());
      expect(loaded.addon!.stats().calls).toBe(calls);
      delete process.env.RVOS_NATIVE;
      delete process.env.RVOS_NATIVE_THREADS;
      delete process.env.RVOS_NATIVE_SHARE;
      expect(enableNativeKernels()).toMatchObject({ active: true, threads: threadsFor(1) });
      const previous = setNativeThreadShare(2);
      expect(nativeStatus().threads).toBe(threadsFor(2));
      expect(loaded.addon!.threads()).toBe(threadsFor(2));
      setNativeThreadShare(previous);
      process.env.RVOS_NATIVE_THREADS = '1';
      expect(enableNativeKernels()).toMatchObject({ active: true, threads: 1 });
    } finally {
      restore('RVOS_NATIVE', saved.flag);
      restore('RVOS_NATIVE_THREADS', saved.threads);
      restore('RVOS_NATIVE_SHARE', saved.share);
      enableNativeKernels();
    }
  });
});

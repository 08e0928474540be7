/**
 * Helpers for comparing a computation on the wasm backend with the same computation on the cpu
 * backend (the reference). Inputs travel as typed arrays so each backend builds its own tensors.
 * Also the inputs and outputs the fused-kernel tests share.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { batchNormTrain } from '../../src/layers/batch_norm_train.js';
import type { Rng } from '../../src/utils/rng.js';

export interface HostTensor {
  shape: number[];
  values: Float32Array;
}

export function randomHost(rng: Rng, shape: number[], lo = -1, hi = 1): HostTensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return { shape, values: Float32Array.from({ length: size }, () => rng.uniform(lo, hi)) };
}

export function toTensor(h: HostTensor): tf.Tensor {
  return tf.tensor(h.values, h.shape, 'float32');
}

/** A tensor of uniform values in [lo, hi) from `rng`. */
export function randomTensor(rng: Rng, shape: number[], lo = -1, hi = 1): tf.Tensor {
  return toTensor(randomHost(rng, shape, lo, hi));
}

/** The bit patterns of a float32 tensor's values (NaN payloads and signed zeros told apart). */
export function float32Bits(t: tf.Tensor): number[] {
  return Array.from(new Uint32Array(Float32Array.from(t.dataSync()).buffer));
}

/** A loss and its gradients as bit patterns, with the kernels that computing them called (tf.profile). */
export interface ProfiledGradients {
  value: number[];
  /** Each gradient's bits, in the order of the gradients' names. */
  grads: number[][];
  kernels: string[];
}

/**
 * Runs `lossAndGrads` under tf.profile and returns its loss and gradients as float32 bits and the
 * kernel names it called; disposes what it returned, so the caller can check the tensor count.
 */
export async function profiledGradients(lossAndGrads: () => { value: tf.Scalar; grads: tf.NamedTensorMap }): Promise<ProfiledGradients> {
  let out: { value: tf.Scalar; grads: tf.NamedTensorMap } | null = null;
  const profile = await tf.profile(() => {
    out = lossAndGrads();
  });
  const { value, grads } = out!;
  const result = {
    value: float32Bits(value),
    grads: Object.keys(grads)
      .sort()
      .map((k) => float32Bits(grads[k]!)),
    kernels: profile.kernels.map((k) => k.name),
  };
  tf.dispose([value, ...Object.values(grads)]);
  return result;
}

/** A training batch norm's inputs: x (plus `offset`), scale, offset, and weights w of a loss Σ y·w. */
export interface BatchNormInputs {
  x: tf.Tensor4D;
  gamma: tf.Tensor1D;
  beta: tf.Tensor1D;
  w: tf.Tensor;
}

/** Random batch norm inputs of NHWC `shape`, drawn from `rng` in the order x, gamma, beta, w. */
export function batchNormInputs(rng: Rng, shape: readonly number[], offset: number): BatchNormInputs {
  const c = shape[3]!;
  const x = tf.add(randomTensor(rng, [...shape], -2, 3), offset) as tf.Tensor4D;
  const gamma = randomTensor(rng, [c], 0.5, 1.5) as tf.Tensor1D;
  const beta = randomTensor(rng, [c]) as tf.Tensor1D;
  const w = randomTensor(rng, [...shape]);
  return { x, gamma, beta, w };
}

/**
 * `f`'s y, mean and variance (kept), then the gradients of Σ y·w with respect to x, gamma and
 * beta (epsilon 1e-5): six tensors for the caller to dispose.
 */
export function batchNormTrainOutputs(f: typeof batchNormTrain, { x, gamma, beta, w }: BatchNormInputs): tf.Tensor[] {
  let stats: tf.Tensor[] = [];
  const loss = (xs: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Scalar => {
    const r = f(xs as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5);
    stats = [r.y, r.mean, r.variance].map((t) => tf.keep(tf.clone(t)));
    return tf.sum(tf.mul(r.y, w));
  };
  const grads = tf.grads(loss)([x, gamma, beta]);
  return [...stats, ...grads];
}

/** A frame of [2, 5, 3, 3] in [0, 1), with a previous frame when `motion`, and ImageNet's mean and std. */
export function normalizeInputInputs(rng: Rng, motion: boolean): { frame: tf.Tensor4D; previous: tf.Tensor4D | null; mean: tf.Tensor1D; std: tf.Tensor1D } {
  const frame = randomTensor(rng, [2, 5, 3, 3], 0, 1) as tf.Tensor4D;
  const previous = motion ? (randomTensor(rng, [2, 5, 3, 3], 0, 1) as tf.Tensor4D) : null;
  const mean = tf.tensor1d([0.485, 0.456, 0.406]);
  const std = tf.tensor1d([0.229, 0.224, 0.225]);
  return { frame, previous, mean, std };
}

/**
 * Runs `compute` on `backend` with fresh tensors made from `inputs`; returns its outputs as host
 * arrays and how many tensors and backend buffers it left behind (must be 0). `compute` is not
 * wrapped in a tidy: it must clean up after itself.
 */
export async function runOn(
  backend: 'wasm' | 'cpu',
  inputs: HostTensor[],
  compute: (...xs: tf.Tensor[]) => tf.Tensor[],
): Promise<{ outputs: HostTensor[]; leaked: number }> {
  await tf.setBackend(backend);
  const before = tf.memory().numTensors;
  const dataBefore = tf.engine().backend.numDataIds();
  const tensors = inputs.map(toTensor);
  const outs = compute(...tensors);
  const outputs = outs.map((o) => ({ shape: o.shape, values: Float32Array.from(o.dataSync()) }));
  tf.dispose(outs);
  tf.dispose(tensors);
  // Tensors the engine tracks, plus raw backend buffers no tensor owns (a kernel's own leak),
  // counted once the inputs are gone too: a kernel may keep data derived from an input (a
  // rearranged filter) exactly as long as that input lives.
  const leaked = tf.memory().numTensors - before + (tf.engine().backend.numDataIds() - dataBefore);
  return { outputs, leaked };
}

/** max |a − b| / max |b| (0 when both are all zeros). */
export function relativeError(a: HostTensor, b: HostTensor): number {
  if (a.shape.join('x') !== b.shape.join('x')) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.values.length; i++) {
    diff = Math.max(diff, Math.abs(a.values[i]! - b.values[i]!));
    scale = Math.max(scale, Math.abs(b.values[i]!));
  }
  return scale === 0 ? diff : diff / scale;
}

/** Runs on wasm and on cpu, restores wasm, returns the worst relative error and the leaks. */
export async function compareBackends(
  inputs: HostTensor[],
  compute: (...xs: tf.Tensor[]) => tf.Tensor[],
  reference: (...xs: tf.Tensor[]) => tf.Tensor[] = compute,
): Promise<{ errors: number[]; wasmLeaked: number; wasm: HostTensor[]; cpu: HostTensor[] }> {
  const cpu = await runOn('cpu', inputs, reference);
  const wasm = await runOn('wasm', inputs, compute);
  return {
    errors: wasm.outputs.map((o, i) => relativeError(o, cpu.outputs[i]!)),
    wasmLeaked: wasm.leaked,
    wasm: wasm.outputs,
    cpu: cpu.outputs,
  };
}

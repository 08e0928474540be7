/**
 * Helpers for comparing a computation on the wasm backend with the same computation on the cpu
 * backend (the reference). Inputs travel as typed arrays so each backend builds its own tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
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

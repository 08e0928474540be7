/**
 * The ConvLSTM gate nonlinearity as one kernel forward and one backward, for speed:
 *   z = gates (+ shared),  i, f, o = σ(z_i), σ(z_f), σ(z_o),  g = tanh(z_g)
 *   c = f·c_spatial + i·g,  h = o·tanh(c)                     (gate order i, f, o, g: RVOS)
 * As separate ops this was ~12 kernels forward (split, sigmoid, split, tanh, mul, mul, add, tanh,
 * mul, and the add of the frame's shared gate contribution) and ~25 backward, each with the
 * engine's per-call overhead and a clone per saved tensor; a light training step ran ~48 of these.
 *
 * Forward values equal the unfused ops exactly: σ and tanh come from the backend's own kernels,
 * and each product and sum is rounded to float32 as the separate Multiply/Add kernels round it.
 * tanh runs only on the g block and on c, as in the unfused graph (wasm's Tanh is a scalar loop,
 * unlike its XNNPACK Sigmoid), and the forward kernel also returns tanh(g) and tanh(c) for the
 * backward kernel, which recomputes only σ (the unfused graph kept σ's output instead).
 * The op and its gradient are wired up in src/layers/lstm_gates.ts. With the addon the loops between
 * the backend's σ and tanh run in C++ (./native_ops.ts), the same operations: the same values; on
 * wasm the forward after σ is one C++ pass whose tanh is the addon's, which is then wasm's Tanh
 * kernel too (../wasm_kernels/native_tanh.ts).
 *
 * Inputs are an array [gates, shared?, cSpatial?] (attrs say which are present), like Concat's.
 */
import * as tf from '@tensorflow/tfjs-core';
import { floatKernelIO, fusedKernelConfigs, type FloatKernelIO, type FusedKernelArgs, type FusedKernelBackend } from './kernel_io.js';
import { NO_ARRAY, nativeFloatOps } from './native_ops.js';

export const LSTM_GATES = 'RvosLstmGates';
export const LSTM_GATES_GRAD = 'RvosLstmGatesGrad';

export interface LstmGatesAttrs {
  /** Whether input 1 is a second gate summand (the frame's shared contribution). */
  hasShared: boolean;
  /** Whether the last gate input is c_spatial (else c = i·g). */
  hasSpatial: boolean;
}

const fround = Math.fround;

/** z = gates (+ shared) by the backend's Add kernel; `temporary` says whether to release it. */
function gateInput(io: FloatKernelIO, gates: tf.TensorInfo, shared: tf.TensorInfo | null): { z: tf.TensorInfo; temporary: boolean } {
  if (shared === null) return { z: gates, temporary: false };
  return { z: io.binary(tf.Add, gates, shared), temporary: true };
}

function stateShape(gates: tf.TensorInfo): number[] {
  const shape = [...gates.shape];
  const last = shape.length - 1;
  if (shape[last]! % 4 !== 0) throw new Error(`${LSTM_GATES}: the gate input's last axis must be 4·filters, got ${shape[last]}`);
  shape[last] = shape[last]! / 4;
  return shape;
}

/** The g block of z ([P, 4F] → [P, F]), packed so that tanh runs on it alone. */
function packG(io: FloatKernelIO, z: tf.TensorInfo, shape: number[], f: number): tf.TensorInfo {
  const [g] = io.compute([z], [shape], ([zs], [out]) => {
    const native = nativeFloatOps();
    if (native !== undefined) return native.lstmPackG(zs!, out!, f);
    for (let p = 3 * f, q = 0; q < out!.length; p += 4 * f) {
      for (let j = 0; j < f; j++, q++) out![q] = zs![p + j]!;
    }
  });
  return g!;
}

/** Inputs [gates, shared?, cSpatial?] → [h, c, tanh(g), tanh(c)] (the last two for the backward pass). */
export function lstmGatesForward(backendName: FusedKernelBackend, args: FusedKernelArgs): tf.TensorInfo[] {
  const list = args.inputs as unknown as tf.TensorInfo[];
  const { hasShared, hasSpatial } = args.attrs as unknown as LstmGatesAttrs;
  const io = floatKernelIO(backendName, args.backend);
  const gates = list[0]!;
  const shared = hasShared ? list[1]! : null;
  const cSpatial = hasSpatial ? list[hasShared ? 2 : 1]! : null;
  const shape = stateShape(gates);
  const f = shape[shape.length - 1]!;
  const { z, temporary } = gateInput(io, gates, shared);
  const sig = io.unary(tf.Sigmoid, z);
  const native = nativeFloatOps();
  if (native !== undefined && backendName === 'wasm') {
    // The rest in one pass with the addon's tanh, which is wasm's Tanh kernel while the addon
    // runs (../wasm_kernels/native_tanh.ts), so these values are still the unfused ops'.
    const inputs = cSpatial === null ? [sig, z] : [sig, z, cSpatial];
    const [h, c, tanhG, tanhC] = io.compute(inputs, [shape, shape, shape, shape], ([s, zs, cs], [hOut, cOut, tg, tc]) =>
      native.lstmStateTanh(s!, zs!, cs ?? NO_ARRAY, cOut!, hOut!, tg!, tc!, f),
    );
    for (const info of [sig, ...(temporary ? [z] : [])]) io.release(info);
    return [h!, c!, tanhG!, tanhC!];
  }
  const g = packG(io, z, shape, f);
  const tanhG = io.unary(tf.Tanh, g);
  const [c] = io.compute(cSpatial === null ? [sig, tanhG] : [sig, tanhG, cSpatial], [shape], ([s, t, cs], [out]) => {
    const native = nativeFloatOps();
    if (native !== undefined) return native.lstmCell(s!, t!, cs ?? NO_ARRAY, out!, f);
    for (let p = 0, q = 0; q < out!.length; p += 4 * f) {
      for (let j = 0; j < f; j++, q++) {
        const ig = fround(s![p + j]! * t![q]!);
        out![q] = cs === undefined ? ig : fround(s![p + f + j]! * cs[q]!) + ig;
      }
    }
  });
  const tanhC = io.unary(tf.Tanh, c!);
  const [h] = io.compute([sig, tanhC], [shape], ([s, t], [out]) => {
    const native = nativeFloatOps();
    if (native !== undefined) return native.lstmHidden(s!, t!, out!, f);
    for (let p = 0, q = 0; q < out!.length; p += 4 * f) {
      for (let j = 0; j < f; j++, q++) out![q] = s![p + 2 * f + j]! * t![q]!;
    }
  });
  for (const info of [sig, g, ...(temporary ? [z] : [])]) io.release(info);
  return [h!, c!, tanhG, tanhC];
}

/**
 * Inputs [gates, shared?, cSpatial?, tanh(g), tanh(c), dh, dc] → [dGates, dCSpatial?]. With
 * dc_total = dc + dh·o·(1 − tanh²c):  dz_i = dc_total·g·i(1−i),  dz_f = dc_total·c_s·f(1−f),
 * dz_o = dh·tanh(c)·o(1−o),  dz_g = dc_total·i·(1−g²),  dc_s = dc_total·f.
 * Without c_spatial, f does not reach the outputs and dz_f is zero (as the unfused graph gives).
 */
export function lstmGatesBackward(backendName: FusedKernelBackend, args: FusedKernelArgs): tf.TensorInfo[] {
  const list = args.inputs as unknown as tf.TensorInfo[];
  const { hasShared, hasSpatial } = args.attrs as unknown as LstmGatesAttrs;
  const io = floatKernelIO(backendName, args.backend);
  const n = list.length;
  const gates = list[0]!;
  const shared = hasShared ? list[1]! : null;
  const cSpatial = hasSpatial ? list[hasShared ? 2 : 1]! : null;
  const [tanhG, tanhC, dh, dc] = list.slice(n - 4);
  const shape = stateShape(gates);
  const f = shape[shape.length - 1]!;
  const { z, temporary } = gateInput(io, gates, shared);
  const sig = io.unary(tf.Sigmoid, z);
  const inputs = [sig, tanhG!, tanhC!, dh!, dc!, ...(cSpatial === null ? [] : [cSpatial])];
  const outputs = cSpatial === null ? [gates.shape] : [gates.shape, shape];
  const result = io.compute(inputs, outputs, ([s, tg, tch, dH, dC, cs], [dz, dcs]) => {
    const native = nativeFloatOps();
    if (native !== undefined) return native.lstmGatesGrad(s!, tg!, tch!, dH!, dC!, cs ?? NO_ARRAY, dz!, dcs ?? NO_ARRAY, f);
    for (let p = 0, q = 0; q < tch!.length; p += 4 * f) {
      for (let j = 0; j < f; j++, q++) {
        const i = s![p + j]!,
          fg = s![p + f + j]!,
          o = s![p + 2 * f + j]!,
          g = tg![q]!;
        const tanhCq = tch![q]!,
          dHq = dH![q]!;
        const dcTotal = dC![q]! + dHq * o * (1 - tanhCq * tanhCq);
        dz![p + j] = dcTotal * g * i * (1 - i);
        dz![p + f + j] = cs === undefined ? 0 : dcTotal * cs[q]! * fg * (1 - fg);
        dz![p + 2 * f + j] = dHq * tanhCq * o * (1 - o);
        dz![p + 3 * f + j] = dcTotal * i * (1 - g * g);
        if (dcs !== undefined) dcs[q] = dcTotal * fg;
      }
    }
  });
  for (const info of [sig, ...(temporary ? [z] : [])]) io.release(info);
  return result;
}

/** Forward and backward kernels for every backend in FUSED_KERNEL_BACKENDS. */
export function lstmGatesKernelConfigs(): tf.KernelConfig[] {
  return [...fusedKernelConfigs(LSTM_GATES, lstmGatesForward), ...fusedKernelConfigs(LSTM_GATES_GRAD, lstmGatesBackward)];
}

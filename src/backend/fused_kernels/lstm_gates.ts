/**
 * The ConvLSTM gate nonlinearity as one kernel forward and one backward (issue 9):
 *   z = gates (+ shared),  i, f, o = σ(z_i), σ(z_f), σ(z_o),  g = tanh(z_g)
 *   c = f·c_spatial + i·g,  h = o·tanh(c)                     (gate order i, f, o, g: RVOS)
 * As separate ops this was ~12 kernels forward (split, sigmoid, split, tanh, mul, mul, add, tanh,
 * mul, and the add of the frame's shared gate contribution) and ~25 backward, each with the
 * engine's per-call overhead and a clone per saved tensor; a light training step ran ~48 of these.
 *
 * Forward values equal the unfused ops exactly: σ and tanh come from the backend's own kernels,
 * and each product and sum is rounded to float32 as the separate Multiply/Add kernels round it.
 * The backward pass recomputes the activations from the saved gate input and c (three
 * elementwise passes) instead of saving them, so it keeps no more memory than the input itself.
 *
 * Inputs are an array [gates, shared?, cSpatial?] (attrs say which are present), like Concat's,
 * so that the gradient config can save all inputs whatever the combination.
 */
import * as tf from '@tensorflow/tfjs-core';
import { floatKernelIO, FUSED_KERNEL_BACKENDS, type FloatKernelIO, type FusedKernelBackend } from './kernel_io.js';

export const LSTM_GATES = 'RvosLstmGates';
export const LSTM_GATES_GRAD = 'RvosLstmGatesGrad';

export interface LstmGatesAttrs {
  /** Whether input 1 is a second gate summand (the frame's shared contribution). */
  hasShared: boolean;
  /** Whether the last gate input is c_spatial (else c = i·g). */
  hasSpatial: boolean;
}

const fround = Math.fround;

/** z = gates (+ shared), as the Add kernel computes it; `temporary` says whether to release it. */
function gateInput(io: FloatKernelIO, gates: tf.TensorInfo, shared: tf.TensorInfo | null): { z: tf.TensorInfo; temporary: boolean } {
  if (shared === null) return { z: gates, temporary: false };
  const [z] = io.compute([gates, shared], [gates.shape], ([a, b], [out]) => {
    for (let k = 0; k < out!.length; k++) out![k] = a![k]! + b![k]!;
  });
  return { z: z!, temporary: true };
}

function stateShape(gates: tf.TensorInfo): number[] {
  const shape = [...gates.shape];
  const last = shape.length - 1;
  if (shape[last]! % 4 !== 0) throw new Error(`${LSTM_GATES}: the gate input's last axis must be 4·filters, got ${shape[last]}`);
  shape[last] = shape[last]! / 4;
  return shape;
}

function forward(backendName: FusedKernelBackend, args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }): tf.TensorInfo[] {
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
  const th = io.unary(tf.Tanh, z);
  const [c] = io.compute(cSpatial === null ? [sig, th] : [sig, th, cSpatial], [shape], ([s, t, cs], [out]) => {
    for (let p = 0, q = 0; q < out!.length; p += 4 * f) {
      for (let j = 0; j < f; j++, q++) {
        const ig = fround(s![p + j]! * t![p + 3 * f + j]!);
        out![q] = cs === undefined ? ig : fround(s![p + f + j]! * cs[q]!) + ig;
      }
    }
  });
  const tc = io.unary(tf.Tanh, c!);
  const [h] = io.compute([sig, tc], [shape], ([s, t], [out]) => {
    for (let p = 0, q = 0; q < out!.length; p += 4 * f) {
      for (let j = 0; j < f; j++, q++) out![q] = s![p + 2 * f + j]! * t![q]!;
    }
  });
  for (const info of [sig, th, tc, ...(temporary ? [z] : [])]) io.release(info);
  return [h!, c!];
}

/**
 * Inputs [gates, shared?, cSpatial?, c, dh, dc] → [dGates, dCSpatial?]. With
 * dc_total = dc + dh·o·(1 − tanh²c):  dz_i = dc_total·g·i(1−i),  dz_f = dc_total·c_s·f(1−f),
 * dz_o = dh·tanh(c)·o(1−o),  dz_g = dc_total·i·(1−g²),  dc_s = dc_total·f.
 * Without c_spatial, f does not reach the outputs and dz_f is zero (as the unfused graph gives).
 */
function backward(backendName: FusedKernelBackend, args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }): tf.TensorInfo[] {
  const list = args.inputs as unknown as tf.TensorInfo[];
  const { hasShared, hasSpatial } = args.attrs as unknown as LstmGatesAttrs;
  const io = floatKernelIO(backendName, args.backend);
  const n = list.length;
  const gates = list[0]!;
  const shared = hasShared ? list[1]! : null;
  const cSpatial = hasSpatial ? list[hasShared ? 2 : 1]! : null;
  const [c, dh, dc] = [list[n - 3]!, list[n - 2]!, list[n - 1]!];
  const shape = stateShape(gates);
  const f = shape[shape.length - 1]!;
  const { z, temporary } = gateInput(io, gates, shared);
  const sig = io.unary(tf.Sigmoid, z);
  const th = io.unary(tf.Tanh, z);
  const tc = io.unary(tf.Tanh, c);
  const inputs = [sig, th, tc, dh, dc, ...(cSpatial === null ? [] : [cSpatial])];
  const outputs = cSpatial === null ? [gates.shape] : [gates.shape, shape];
  const result = io.compute(inputs, outputs, ([s, t, tch, dH, dC, cs], [dz, dcs]) => {
    for (let p = 0, q = 0; q < tch!.length; p += 4 * f) {
      for (let j = 0; j < f; j++, q++) {
        const i = s![p + j]!, fg = s![p + f + j]!, o = s![p + 2 * f + j]!, g = t![p + 3 * f + j]!;
        const tanhC = tch![q]!, dHq = dH![q]!;
        const dcTotal = dC![q]! + dHq * o * (1 - tanhC * tanhC);
        dz![p + j] = dcTotal * g * i * (1 - i);
        dz![p + f + j] = cs === undefined ? 0 : dcTotal * cs[q]! * fg * (1 - fg);
        dz![p + 2 * f + j] = dHq * tanhC * o * (1 - o);
        dz![p + 3 * f + j] = dcTotal * i * (1 - g * g);
        if (dcs !== undefined) dcs[q] = dcTotal * fg;
      }
    }
  });
  for (const info of [sig, th, tc, ...(temporary ? [z] : [])]) io.release(info);
  return result;
}

/** Forward and backward kernels for every backend in FUSED_KERNEL_BACKENDS. */
export function lstmGatesKernelConfigs(): tf.KernelConfig[] {
  return FUSED_KERNEL_BACKENDS.flatMap((backendName) => [
    { kernelName: LSTM_GATES, backendName, kernelFunc: ((args: Parameters<typeof forward>[1]) => forward(backendName, args)) as unknown as tf.KernelFunc },
    { kernelName: LSTM_GATES_GRAD, backendName, kernelFunc: ((args: Parameters<typeof backward>[1]) => backward(backendName, args)) as unknown as tf.KernelFunc },
  ]);
}

/**
 * Saves every input and c. The backward kernel runs eagerly (the engine keeps every gradient of
 * the backward pass until it ends anyway); a second summand gets its own tensor (a clone shares
 * the data), because the tape disposes one input's gradient when it accumulates into it.
 */
export const lstmGatesGradConfig: tf.GradConfig = {
  kernelName: LSTM_GATES,
  saveAllInputs: true,
  outputsToSave: [false, true],
  gradFunc: (dy, saved, attrs) => {
    const { hasShared, hasSpatial } = attrs as unknown as LstmGatesAttrs;
    const [dh, dc] = dy as tf.Tensor[];
    const c = saved[saved.length - 1]!;
    const inputs = saved.slice(0, -1);
    const [dGates, dCSpatial] = tf.engine().runKernel(LSTM_GATES_GRAD, [...inputs, c, dh!, dc!] as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
    const grads: Record<string, () => tf.Tensor> = { 0: () => dGates! };
    if (hasShared) grads[1] = () => tf.clone(dGates!);
    if (hasSpatial) grads[hasShared ? 2 : 1] = () => dCSpatial!;
    return grads;
  },
};

/**
 * The ConvLSTM state update from gate pre-activations (gate order i, f, o, g as in RVOS):
 *   c = σ(f)·c_spatial + σ(i)·tanh(g),   h = σ(o)·tanh(c),
 * where the pre-activations are `gates` (+ `shared`, the frame's shared contribution, when given).
 * On wasm and cpu it is one fused kernel forward and one backward
 * (src/backend/fused_kernels/lstm_gates.ts), wired up here as an op with a gradient; on other
 * backends (tensorflow) the same formula as separate ops. Both give the same values; the fused
 * path exists only for speed.
 */
import * as tf from '@tensorflow/tfjs-core';
import { hasFusedKernel } from '../backend/fused_kernels/index.js';
import { LSTM_GATES, LSTM_GATES_GRAD, type LstmGatesAttrs } from '../backend/fused_kernels/lstm_gates.js';
import { namedInputs, runKernelFunc } from './kernel_func.js';

// A type alias (not an interface) so that tf.tidy accepts it as a TensorContainer.
export type LstmState = { h: tf.Tensor4D; c: tf.Tensor4D };

/**
 * @param gates [B, h, w, 4F] pre-activations
 * @param shared [B, h, w, 4F] added to `gates` first, or null
 * @param cSpatial [B, h, w, F] the previous slot's cell state, or null (no spatial state: c = i·g)
 */
export function lstmGates(gates: tf.Tensor4D, shared: tf.Tensor4D | null, cSpatial: tf.Tensor4D | null): LstmState {
  if (!hasFusedKernel(LSTM_GATES)) return lstmGatesUnfused(gates, shared, cSpatial);
  const inputs = [gates, ...(shared === null ? [] : [shared]), ...(cSpatial === null ? [] : [cSpatial])];
  const [h, c] = fusedOp({ hasShared: shared !== null, hasSpatial: cSpatial !== null }, inputs) as tf.Tensor4D[];
  return { h: h!, c: c! };
}

/**
 * The fused kernels as an op with a gradient. The forward kernel's tanh(g) and tanh(c) are saved
 * for the backward kernel without being outputs of the op, so the tape never fills zero
 * gradients for them.
 */
function fusedOp(attrs: LstmGatesAttrs, inputs: tf.Tensor[]): tf.Tensor[] {
  const kernelAttrs = attrs as unknown as tf.NamedAttrMap;
  return runKernelFunc({
    inputs: namedInputs(inputs),
    forwardFunc: (_backend, save) => {
      const [h, c, tanhG, tanhC] = tf.engine().runKernel(LSTM_GATES, inputs as unknown as tf.NamedTensorMap, kernelAttrs) as tf.Tensor[];
      save([...inputs, tanhG!, tanhC!]);
      return [h!, c!];
    },
    backwardsFunc: (dy, saved) => {
      const [dh, dc] = dy as tf.Tensor[];
      const [dGates, dCSpatial] = tf.engine().runKernel(LSTM_GATES_GRAD, [...saved, dh!, dc!] as unknown as tf.NamedTensorMap, kernelAttrs) as tf.Tensor[];
      // Eager, like every gradient the tape keeps until the backward pass ends. The second summand
      // gets its own tensor (a clone shares the data): the tape disposes an input's gradient when
      // it accumulates into it.
      const grads = [dGates!, ...(attrs.hasShared ? [tf.clone(dGates!)] : []), ...(attrs.hasSpatial ? [dCSpatial!] : [])];
      return Object.fromEntries(grads.map((g, i) => [String(i), () => g]));
    },
  });
}

/** The formula as separate ops (the reference the fused kernel is tested against). */
export function lstmGatesUnfused(gates: tf.Tensor4D, shared: tf.Tensor4D | null, cSpatial: tf.Tensor4D | null): LstmState {
  return tf.tidy(() => {
    const z: tf.Tensor4D = shared === null ? gates : tf.add(gates, shared);
    const f = z.shape[3] / 4;
    const [ifo, g] = tf.split(z, [3 * f, f], 3) as [tf.Tensor4D, tf.Tensor4D];
    const [i, fg, o] = tf.split(tf.sigmoid(ifo), 3, 3) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
    const ig = tf.mul(i, tf.tanh(g));
    const c = (cSpatial !== null ? tf.add(tf.mul(fg, cSpatial), ig) : ig) as tf.Tensor4D;
    const h: tf.Tensor4D = tf.mul(o, tf.tanh(c));
    return { h, c };
  });
}

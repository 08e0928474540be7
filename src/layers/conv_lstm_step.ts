/**
 * A ConvLSTM step after the frame's shared gate input:
 *   (h, c) = gates(conv2d(concat(parts), kernel, 3x3 'same') + shared, c_spatial)
 * (./lstm_gates.ts has the gates). On wasm and cpu it is one fused kernel forward and one backward
 * (src/backend/fused_kernels/conv_lstm_step.ts), wired up here as an op with a gradient: one tape
 * node instead of the Concat, Conv2D and gates nodes. On other backends (tensorflow) the same ops
 * one by one. Both give the same values bit for bit.
 *
 * With `resize`, the first part is first resized bilinearly with aligned corners
 * (tf.image.resizeBilinear(part₀, resize, true): the decoder's upsampling of the level above's h)
 * inside the same op (RvosConvLstmResizeStep), so the resize and its gradient are no tape node and
 * no engine call of their own; switched off, or where that kernel is missing, the resize is the
 * separate op before the step.
 */
import * as tf from '@tensorflow/tfjs-core';
import { hasFusedKernel } from '../backend/fused_kernels/index.js';
import {
  CONV_LSTM_RESIZE_STEP,
  CONV_LSTM_RESIZE_STEP_GRAD,
  CONV_LSTM_STEP,
  CONV_LSTM_STEP_GRAD,
  type ConvLstmStepAttrs,
} from '../backend/fused_kernels/conv_lstm_step.js';
import { namedInputs, runKernelFunc } from './kernel_func.js';
import { lstmGates, type LstmState } from './lstm_gates.js';

/**
 * @param parts [B, h, w, Cₖ] the per-slot gate input channels, in kernel-row order
 * @param kernel [kh, kw, ΣCₖ, 4F] (odd kh, kw)
 * @param shared [B, h, w, 4F] added to the convolution, or null
 * @param cSpatial [B, h, w, F] the previous slot's cell state, or null
 * @param resize [h, w] to resize parts[0] to first (bilinear, aligned corners), or null
 */
export function convLstmStep(
  parts: readonly tf.Tensor4D[],
  kernel: tf.Tensor4D,
  shared: tf.Tensor4D | null,
  cSpatial: tf.Tensor4D | null,
  resize: [number, number] | null = null,
): LstmState {
  if (parts.length === 0) throw new Error('convLstmStep: needs at least one input part');
  const float32 = [...parts, kernel].every((t) => t.dtype === 'float32');
  if (resize !== null && !(float32 && hasFusedKernel(CONV_LSTM_STEP) && hasFusedKernel(CONV_LSTM_RESIZE_STEP))) {
    return tf.tidy(() => convLstmStep([tf.image.resizeBilinear(parts[0]!, resize, true), ...parts.slice(1)], kernel, shared, cSpatial));
  }
  if (!hasFusedKernel(CONV_LSTM_STEP) || !float32) {
    return tf.tidy(() => {
      const x = parts.length === 1 ? parts[0]! : tf.concat([...parts], 3);
      return lstmGates(tf.conv2d(x, kernel, 1, 'same'), shared, cSpatial);
    });
  }
  const attrs: ConvLstmStepAttrs = {
    splits: parts.map((p) => p.shape[3]),
    hasShared: shared !== null,
    hasSpatial: cSpatial !== null,
    ...(resize === null ? {} : { resize }),
  };
  const [forwardKernel, backwardKernel] = resize === null ? [CONV_LSTM_STEP, CONV_LSTM_STEP_GRAD] : [CONV_LSTM_RESIZE_STEP, CONV_LSTM_RESIZE_STEP_GRAD];
  const kernelAttrs = attrs as unknown as tf.NamedAttrMap;
  const extra = [...(shared === null ? [] : [shared]), ...(cSpatial === null ? [] : [cSpatial])];
  const inputs = [...parts, kernel, ...extra];
  const n = parts.length;
  const [h, c] = runKernelFunc({
    inputs: namedInputs(inputs),
    forwardFunc: (_backend, save) => {
      const out = tf.engine().runKernel(forwardKernel, inputs as unknown as tf.NamedTensorMap, kernelAttrs) as tf.Tensor[];
      const [hOut, cOut, tanhG, tanhC, z, x] = out;
      // Saved for the backward kernel: [x, kernel, z, shared?, cSpatial?, tanh(g), tanh(c), part₀ when resized].
      save([x ?? parts[0]!, kernel, z!, ...extra, tanhG!, tanhC!, ...(resize === null ? [] : [parts[0]!])]);
      return [hOut!, cOut!];
    },
    backwardsFunc: (dy, saved) => {
      const [dh, dc] = dy as tf.Tensor[];
      const grads = tf.engine().runKernel(backwardKernel, [...saved, dh!, dc!] as unknown as tf.NamedTensorMap, kernelAttrs) as tf.Tensor[];
      // Eager, like every gradient the tape keeps until the backward pass ends; one per input, in
      // input order (the parts, the kernel, shared, cSpatial).
      if (grads.length !== n + 1 + extra.length) throw new Error(`${backwardKernel}: expected ${n + 1 + extra.length} gradients, got ${grads.length}`);
      return Object.fromEntries(grads.map((g, i) => [String(i), () => g]));
    },
  }) as tf.Tensor4D[];
  return { h: h!, c: c! };
}

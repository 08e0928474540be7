/**
 * An encoder's input: (frame − mean)/std per channel, and with a motion reference also
 * (frame − previous)/std concatenated after it. One fused kernel on wasm and cpu
 * (src/backend/fused_kernels/normalize_input.ts), the same values bit for bit as the separate ops
 * used elsewhere (tensorflow).
 */
import * as tf from '@tensorflow/tfjs-core';
import { hasFusedKernel } from '../backend/fused_kernels/index.js';
import { NORMALIZE_INPUT } from '../backend/fused_kernels/normalize_input.js';
import { namedInputs, runKernelFunc } from './kernel_func.js';

/**
 * @param frame [B, H, W, C]
 * @param mean [C]
 * @param std [C]
 * @param previous [B, H, W, C] the motion reference, or null for no motion channels
 */
export function normalizeInput(frame: tf.Tensor4D, mean: tf.Tensor1D, std: tf.Tensor1D, previous: tf.Tensor4D | null): tf.Tensor4D {
  if (!hasFusedKernel(NORMALIZE_INPUT) || [frame, mean, std, previous ?? frame].some((t) => t.dtype !== 'float32')) {
    return normalizeInputUnfused(frame, mean, std, previous);
  }
  const inputs = previous === null ? [frame, mean, std] : [frame, mean, std, previous];
  const [y] = runKernelFunc({
    inputs: namedInputs(inputs),
    forwardFunc: () => [tf.engine().runKernel(NORMALIZE_INPUT, inputs as unknown as tf.NamedTensorMap, {}) as tf.Tensor],
    // Frames are data, not variables; this is here only for a caller that differentiates with
    // respect to its input: d/dframe = dy_a/std + dy_b/std, d/dprevious = −dy_b/std.
    backwardsFunc: (dy): Record<string, () => tf.Tensor> => {
      const d = dy as tf.Tensor4D;
      const c = frame.shape[3];
      if (previous === null) return { '0': () => tf.div(d, std) };
      const [a, b] = tf.split(d, [c, c], 3);
      return { '0': () => tf.div(tf.add(a!, b!), std), '3': () => tf.neg(tf.div(b!, std)) };
    },
  });
  return y as tf.Tensor4D;
}

/** The same as separate ops (the reference the fused kernel is tested against). */
export function normalizeInputUnfused(frame: tf.Tensor4D, mean: tf.Tensor1D, std: tf.Tensor1D, previous: tf.Tensor4D | null): tf.Tensor4D {
  return tf.tidy(() => {
    const x = tf.div(tf.sub(frame, mean), std) as tf.Tensor4D;
    return previous === null ? x : (tf.concat([x, tf.div(tf.sub(frame, previous), std) as tf.Tensor4D], 3) as tf.Tensor4D);
  });
}

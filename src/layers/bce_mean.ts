/**
 * The mean binary cross-entropy of logits against 0/1 targets,
 *   tf.mean(binaryCrossEntropyWithLogits(logits, targets))   (src/models/losses.ts),
 * as one op: on wasm and cpu one fused kernel forward and one backward
 * (src/backend/fused_kernels/bce_mean.ts), one tape node instead of 9, the same loss and logits
 * gradient bit for bit. Elsewhere (tensorflow), for other dtypes or shapes, or with the kernel
 * switched off, the ops. The targets are data: the op has no gradient for them, and asking for one
 * is an error.
 */
import * as tf from '@tensorflow/tfjs-core';
import { hasFusedKernel } from '../backend/fused_kernels/index.js';
import { BCE_MEAN, BCE_MEAN_GRAD } from '../backend/fused_kernels/bce_mean.js';
import { namedInputs, runKernelFunc } from './kernel_func.js';

/** @param unfused the same as separate ops */
export function bceMean(logits: tf.Tensor, targets: tf.Tensor, unfused: () => tf.Scalar): tf.Scalar {
  if (
    !hasFusedKernel(BCE_MEAN) ||
    [logits, targets].some((t) => t.dtype !== 'float32') ||
    !tf.util.arraysEqual(logits.shape, targets.shape) ||
    logits.size === 0
  ) {
    return unfused();
  }
  const inputs = [logits, targets];
  const [loss] = runKernelFunc({
    inputs: namedInputs(inputs),
    forwardFunc: (_backend, save) => {
      const [out, e] = tf.engine().runKernel(BCE_MEAN, inputs as unknown as tf.NamedTensorMap, {}) as tf.Tensor[];
      save([logits, targets, e!]);
      return [out!];
    },
    backwardsFunc: (dy, saved) => {
      const [dx] = tf.engine().runKernel(BCE_MEAN_GRAD, [...saved, dy as tf.Tensor] as unknown as tf.NamedTensorMap, {}) as tf.Tensor[];
      return {
        '0': () => dx!,
        '1': () => {
          throw new Error('bceMean: no gradient with respect to the targets (they are data)');
        },
      };
    },
  });
  return loss as tf.Scalar;
}

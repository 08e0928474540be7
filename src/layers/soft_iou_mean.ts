/**
 * The soft-IoU loss of one frame averaged over the weighted pairs,
 *   weightedMean(softIoULossPerPair(logits, targets), weights)   (src/models/losses.ts),
 * as one op: on wasm and cpu one fused kernel forward and one backward
 * (src/backend/fused_kernels/soft_iou_mean.ts), one tape node instead of 14, the same loss and
 * logits gradient bit for bit. Elsewhere (tensorflow), for other dtypes or with the kernel switched
 * off, the ops.
 *
 * The targets and the weights are data (ground truth, which pairs hold an object): the op has no
 * gradient for them, and asking for one is an error.
 */
import * as tf from '@tensorflow/tfjs-core';
import { hasFusedKernel } from '../backend/fused_kernels/index.js';
import { SOFT_IOU_MEAN, SOFT_IOU_MEAN_GRAD, type SoftIoUMeanAttrs } from '../backend/fused_kernels/soft_iou_mean.js';
import { namedInputs, runKernelFunc } from './kernel_func.js';

/**
 * @param logits [B, H, W, S]
 * @param targets [B, H, W, S] in [0, 1]
 * @param weights [B, S]
 * @param epsilon the soft IoU's ε
 * @param unfused the same as separate ops
 */
export function softIoUMean(logits: tf.Tensor4D, targets: tf.Tensor4D, weights: tf.Tensor2D, epsilon: number, unfused: () => tf.Scalar): tf.Scalar {
  const [b, , , s] = logits.shape;
  if (
    !hasFusedKernel(SOFT_IOU_MEAN) ||
    [logits, targets, weights].some((t) => t.dtype !== 'float32') ||
    !tf.util.arraysEqual(targets.shape, logits.shape) ||
    !tf.util.arraysEqual(weights.shape, [b, s])
  ) {
    return unfused();
  }
  const attrs: SoftIoUMeanAttrs = { epsilon };
  const kernelAttrs = attrs as unknown as tf.NamedAttrMap;
  const inputs = [logits, targets, weights];
  const [loss] = runKernelFunc({
    inputs: namedInputs(inputs),
    forwardFunc: (_backend, save) => {
      const [out, p, inter, den, countMax] = tf.engine().runKernel(SOFT_IOU_MEAN, inputs as unknown as tf.NamedTensorMap, kernelAttrs) as tf.Tensor[];
      save([p!, targets, weights, inter!, den!, countMax!]);
      return [out!];
    },
    backwardsFunc: (dy, saved) => {
      const [dLogits] = tf.engine().runKernel(SOFT_IOU_MEAN_GRAD, [...saved, dy as tf.Tensor] as unknown as tf.NamedTensorMap, kernelAttrs) as tf.Tensor[];
      const noGradient = (what: string) => (): tf.Tensor => {
        throw new Error(`softIoUMean: no gradient with respect to the ${what} (they are data)`);
      };
      return { '0': () => dLogits!, '1': noGradient('targets'), '2': noGradient('weights') };
    },
  });
  return loss as tf.Scalar;
}

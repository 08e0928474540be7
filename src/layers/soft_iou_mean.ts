/**
 * The soft-IoU loss of one frame averaged over the weighted pairs, and optionally the empty-slot
 * term on the same logits,
 *   weightedMean(softIoULossPerPair(logits, targets), weights),
 *   weightedMean(emptyMaskLossPerPair(logits), emptyWeights)   (src/models/losses.ts),
 * as one op: on wasm and cpu one fused kernel forward and one backward
 * (src/backend/fused_kernels/soft_iou_mean.ts), one tape node instead of 14 (22 with the empty
 * term), the same losses and logits gradient bit for bit. Elsewhere (tensorflow), for other dtypes
 * or with the kernel switched off, the ops.
 *
 * The targets and the weights are data (ground truth, which pairs hold an object): the op has no
 * gradient for them, and asking for one is an error.
 */
import * as tf from '@tensorflow/tfjs-core';
import { hasFusedKernel } from '../backend/fused_kernels/index.js';
import { SOFT_IOU_MEAN, SOFT_IOU_MEAN_GRAD, type SoftIoUMeanAttrs } from '../backend/fused_kernels/soft_iou_mean.js';
import { namedInputs, runKernelFunc } from './kernel_func.js';

export interface SoftIoUMeans {
  iou: tf.Scalar;
  /** Only with empty-slot weights. */
  empty: tf.Scalar | null;
}

/**
 * @param logits [B, H, W, S]
 * @param targets [B, H, W, S] in [0, 1]
 * @param weights [B, S]: the pairs the soft IoU averages over
 * @param emptyWeights [B, S]: the pairs the empty-slot term averages over, or null (no such term)
 * @param epsilon the soft IoU's ε
 * @param unfused the same as separate ops
 */
export function softIoUMeans(
  logits: tf.Tensor4D,
  targets: tf.Tensor4D,
  weights: tf.Tensor2D,
  emptyWeights: tf.Tensor2D | null,
  epsilon: number,
  unfused: () => SoftIoUMeans,
): SoftIoUMeans {
  const [b, , , s] = logits.shape;
  const data = [targets, weights, ...(emptyWeights === null ? [] : [emptyWeights])];
  if (
    !hasFusedKernel(SOFT_IOU_MEAN) ||
    [logits, ...data].some((t) => t.dtype !== 'float32') ||
    !tf.util.arraysEqual(targets.shape, logits.shape) ||
    [weights, ...(emptyWeights === null ? [] : [emptyWeights])].some((t) => !tf.util.arraysEqual(t.shape, [b, s]))
  ) {
    return unfused();
  }
  const hasEmpty = emptyWeights !== null;
  const attrs: SoftIoUMeanAttrs = { epsilon, hasEmpty };
  const kernelAttrs = attrs as unknown as tf.NamedAttrMap;
  const inputs = [logits, ...data];
  const outputs = runKernelFunc({
    inputs: namedInputs(inputs),
    forwardFunc: (_backend, save) => {
      const [iou, p, inter, den, countMax, empty, emptyCountMax] = tf
        .engine()
        .runKernel(SOFT_IOU_MEAN, inputs as unknown as tf.NamedTensorMap, kernelAttrs) as tf.Tensor[];
      // Saved for the backward kernel: [p, targets, weights, I, U + ε, max(Σw, 1), emptyWeights?, max(Σv, 1)?].
      save([p!, targets, weights, inter!, den!, countMax!, ...(hasEmpty ? [emptyWeights, emptyCountMax!] : [])]);
      return hasEmpty ? [iou!, empty!] : [iou!];
    },
    backwardsFunc: (dy, saved) => {
      const dys = Array.isArray(dy) ? dy : [dy];
      const [dLogits] = tf.engine().runKernel(SOFT_IOU_MEAN_GRAD, [...saved, ...dys] as unknown as tf.NamedTensorMap, kernelAttrs) as tf.Tensor[];
      const noGradient = (what: string) => (): tf.Tensor => {
        throw new Error(`softIoUMeans: no gradient with respect to the ${what} (they are data)`);
      };
      return {
        '0': () => dLogits!,
        '1': noGradient('targets'),
        '2': noGradient('weights'),
        ...(hasEmpty ? { '3': noGradient('empty-slot weights') } : {}),
      };
    },
  }) as tf.Scalar[];
  return { iou: outputs[0]!, empty: hasEmpty ? outputs[1]! : null };
}

/**
 * Training-mode batch norm with batch statistics, and the moving-average update: one fused kernel
 * each on wasm and cpu (src/backend/fused_kernels/batch_norm_train.ts), one tape node forward and
 * one kernel backward; on other backends (tensorflow) tf.moments + tf.batchNorm and the same
 * moving averages as separate ops. Both give the same values within float32 rounding.
 */
import * as tf from '@tensorflow/tfjs-core';
import { hasFusedKernel } from '../backend/fused_kernels/index.js';
import {
  BATCH_NORM_TRAIN,
  BATCH_NORM_TRAIN_GRAD,
  MOVING_MOMENTS,
  type BatchNormTrainAttrs,
  type MovingMomentsAttrs,
} from '../backend/fused_kernels/batch_norm_train.js';
import { namedInputs, runKernelFunc } from './kernel_func.js';

// A type alias (not an interface) so that tf.tidy accepts it as a TensorContainer.
export type BatchNormTrainResult = { y: tf.Tensor4D; mean: tf.Tensor1D; variance: tf.Tensor1D };

/**
 * y = (x − mean)/√(variance + ε)·scale + offset with the batch's per-channel mean and (biased)
 * variance over batch and space; returns them too (for the moving averages; no gradient flows
 * through them). x is [B, H, W, C], scale and offset [C].
 */
export function batchNormTrain(x: tf.Tensor4D, scale: tf.Tensor1D, offset: tf.Tensor1D, epsilon: number): BatchNormTrainResult {
  if (!hasFusedKernel(BATCH_NORM_TRAIN) || x.dtype !== 'float32') return batchNormTrainUnfused(x, scale, offset, epsilon);
  const attrs: BatchNormTrainAttrs = { epsilon };
  const kernelAttrs = attrs as unknown as tf.NamedAttrMap;
  const inputs = [x, scale, offset];
  // The statistics are outputs of the op (a forward function's other tensors are released when it
  // returns); no gradient flows through them: the backward kernel reads only dy.
  const [y, mean, variance] = runKernelFunc({
    inputs: namedInputs(inputs),
    forwardFunc: (_backend, save) => {
      const outputs = tf.engine().runKernel(BATCH_NORM_TRAIN, inputs as unknown as tf.NamedTensorMap, kernelAttrs) as tf.Tensor[];
      save([x, outputs[1]!, outputs[2]!, scale]);
      return outputs;
    },
    backwardsFunc: (dys, saved) => {
      const dy = (dys as tf.Tensor[])[0]!;
      const [dx, dScale, dOffset] = tf.engine().runKernel(BATCH_NORM_TRAIN_GRAD, [...saved, dy] as unknown as tf.NamedTensorMap, kernelAttrs) as tf.Tensor[];
      return { '0': () => dx!, '1': () => dScale!, '2': () => dOffset! };
    },
  });
  return { y: y as tf.Tensor4D, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
}

/** The same as separate ops (the reference the fused kernels are tested against). */
export function batchNormTrainUnfused(x: tf.Tensor4D, scale: tf.Tensor1D, offset: tf.Tensor1D, epsilon: number): BatchNormTrainResult {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  const y = tf.batchNorm4d(x, mean as tf.Tensor1D, variance as tf.Tensor1D, offset, scale, epsilon);
  return { y, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
}

/**
 * The moving averages m·(1 − momentum) + s·momentum of mean and variance (the batch variance
 * times `varianceFactor` first); new tensors, the caller assigns them.
 */
export function movingMoments(
  moving: { mean: tf.Tensor1D; variance: tf.Tensor1D },
  batch: { mean: tf.Tensor1D; variance: tf.Tensor1D },
  momentum: number,
  varianceFactor: number,
): { mean: tf.Tensor1D; variance: tf.Tensor1D } {
  if (hasFusedKernel(MOVING_MOMENTS) && [moving.mean, moving.variance, batch.mean, batch.variance].every((t) => t.dtype === 'float32')) {
    const attrs: MovingMomentsAttrs = { momentum, varianceFactor };
    const [mean, variance] = tf
      .engine()
      .runKernel(
        MOVING_MOMENTS,
        [moving.mean, moving.variance, batch.mean, batch.variance] as unknown as tf.NamedTensorMap,
        attrs as unknown as tf.NamedAttrMap,
      ) as tf.Tensor1D[];
    return { mean: mean!, variance: variance! };
  }
  return tf.tidy(() => ({
    mean: tf.add(tf.mul(moving.mean, 1 - momentum), tf.mul(batch.mean, momentum)) as tf.Tensor1D,
    variance: tf.add(tf.mul(moving.variance, 1 - momentum), tf.mul(batch.variance, momentum * varianceFactor)) as tf.Tensor1D,
  }));
}

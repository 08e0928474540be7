/**
 * The gradient of FusedBatchNorm (tf.batchNorm) as one kernel, for training speed. tfjs-core's gradient
 * runs ~26 kernels per batch norm (subtract, tile the reciprocal deviation, several products,
 * four channel sums, reshapes), a third of a light training step's kernel calls; per channel all
 * it needs is two sums over the batch and space, Σdy and Σdy·(x − mean), plus the input gradient
 * dx = dy·scale/√(var + ε), which one pass over x and dy gives. Sums accumulate in double, so
 * values agree with tfjs-core's float32 formula within float rounding, not bit for bit.
 *
 * Only the per-channel case (mean, variance, scale, offset all [C], x channels-last, which is
 * every batch norm of this project) is fused; other cases and other backends keep tfjs-core's
 * gradient.
 */
import * as tf from '@tensorflow/tfjs-core';
import { hasFusedKernel } from './availability.js';
import { floatKernelIO, fusedKernelConfigs, type FusedKernelArgs, type FusedKernelBackend } from './kernel_io.js';

export const BATCH_NORM_GRAD = 'RvosBatchNormGrad';

/** Inputs [x, mean, variance, scale, dy] → [dx, dMean, dVariance, dScale, dOffset]. */
function batchNormGrad(backendName: FusedKernelBackend, args: FusedKernelArgs): tf.TensorInfo[] {
  const list = args.inputs as unknown as tf.TensorInfo[];
  const epsilon = (args.attrs as unknown as tf.FusedBatchNormAttrs).varianceEpsilon;
  const x = list[0]!;
  const channels = list[1]!.shape[0]!;
  const perChannel = [channels];
  return floatKernelIO(backendName, args.backend).compute(
    list,
    [x.shape, perChannel, perChannel, perChannel, perChannel],
    ([xs, mean, variance, scale, dy], [dx, dMean, dVar, dScale, dOffset]) => {
      const rs = new Float64Array(channels);
      for (let c = 0; c < channels; c++) rs[c] = 1 / Math.sqrt(variance![c]! + epsilon);
      const sumDy = new Float64Array(channels);
      const sumDyCentered = new Float64Array(channels);
      for (let k = 0, c = 0; k < xs!.length; k++) {
        const d = dy![k]!;
        sumDy[c] += d;
        sumDyCentered[c] += d * (xs![k]! - mean![c]!);
        dx![k] = d * rs[c]! * scale![c]!;
        if (++c === channels) c = 0;
      }
      for (let c = 0; c < channels; c++) {
        const r = rs[c]!;
        dMean![c] = -r * scale![c]! * sumDy[c]!;
        dVar![c] = -0.5 * r * r * r * scale![c]! * sumDyCentered[c]!;
        dScale![c] = r * sumDyCentered[c]!;
        dOffset![c] = sumDy[c]!;
      }
    },
  );
}

export function batchNormGradKernelConfigs(): tf.KernelConfig[] {
  return fusedKernelConfigs(BATCH_NORM_GRAD, batchNormGrad);
}

/** tfjs-core's FusedBatchNorm gradient, with the fused kernel where it applies. */
export function batchNormGradConfig(original: tf.GradConfig): tf.GradConfig {
  return {
    ...original,
    kernelName: tf.FusedBatchNorm,
    inputsToSave: ['x', 'mean', 'variance', 'scale'],
    gradFunc: (dy, saved, attrs) => {
      const [x, mean, variance, scale] = saved;
      const d = dy as tf.Tensor;
      const c = mean?.shape[0];
      const perChannel = (t: tf.Tensor | undefined): boolean => t !== undefined && t !== null && t.rank === 1 && t.shape[0] === c;
      const fusable =
        hasFusedKernel(BATCH_NORM_GRAD) &&
        x!.shape[x!.rank - 1] === c &&
        [mean, variance, scale].every(perChannel) &&
        [x, d].every((t) => t!.dtype === 'float32');
      if (!fusable) return original.gradFunc(dy, saved, attrs);
      // Eager, like every gradient the tape keeps until the backward pass ends; unused ones are freed then.
      const [dx, dMean, dVariance, dScale, dOffset] = tf
        .engine()
        .runKernel(BATCH_NORM_GRAD, [x!, mean!, variance!, scale!, d] as unknown as tf.NamedTensorMap, attrs) as tf.Tensor[];
      return { x: () => dx!, mean: () => dMean!, variance: () => dVariance!, scale: () => dScale!, offset: () => dOffset! };
    },
  };
}

/**
 * Training-mode batch norm as one kernel forward and one backward, plus the moving-average update
 * as one kernel. As separate ops (tf.moments, tf.batchNorm, the moving averages) a batch norm ran
 * 14 kernels forward and ~13 backward, with ~3 gradient accumulations: about 30% of the kernel
 * calls of a main-job training step, on tensors of a few thousand elements where each call's
 * engine overhead costs more than its arithmetic.
 *
 *   mean = Σx / N,  var = Σ(x − mean)² / N (biased, as tf.moments),  r = 1/√(var + ε)
 *   y = (x − mean)·r·scale + offset
 * Backward, the gradient through the batch statistics included (x̂ = (x − mean)·r):
 *   dx = scale·r·(dy − Σdy/N − x̂·Σ(dy·x̂)/N),  dscale = Σ(dy·x̂),  doffset = Σdy.
 * Sums accumulate in double and results are rounded once to float32, so values agree with the
 * separate float32 ops within float rounding (the statistics are if anything closer to exact), not
 * bit for bit. Per-channel only: x channels-last, scale and offset [C]. The op and its gradient
 * are wired up in src/layers/batch_norm_train.ts. With the addon the loops run in C++
 * (./native_ops.ts), the same operations in the same order: the same values bit for bit.
 */
import * as tf from '@tensorflow/tfjs-core';
import { floatKernelIO, fusedKernelConfigs, type FusedKernelArgs, type FusedKernelBackend } from './kernel_io.js';
import { nativeFloatOps } from './native_ops.js';

export const BATCH_NORM_TRAIN = 'RvosBatchNormTrain';
export const BATCH_NORM_TRAIN_GRAD = 'RvosBatchNormTrainGrad';
export const MOVING_MOMENTS = 'RvosMovingMoments';

export interface BatchNormTrainAttrs {
  epsilon: number;
}

export interface MovingMomentsAttrs {
  /** Weight of the batch statistic (PyTorch's momentum). */
  momentum: number;
  /** Factor on the batch variance before averaging (N/(N−1) for an unbiased running variance). */
  varianceFactor: number;
}

/** Inputs [x, scale, offset] → [y, mean, variance]. */
function forward(backendName: FusedKernelBackend, args: FusedKernelArgs): tf.TensorInfo[] {
  const list = args.inputs as unknown as tf.TensorInfo[];
  const { epsilon } = args.attrs as unknown as BatchNormTrainAttrs;
  const x = list[0]!;
  const channels = x.shape[x.shape.length - 1]!;
  return floatKernelIO(backendName, args.backend).compute(list, [x.shape, [channels], [channels]], ([xs, scale, offset], [y, meanOut, varOut]) => {
    const native = nativeFloatOps();
    if (native !== undefined && xs!.length > 0) return native.bnForward(xs!, scale!, offset!, y!, meanOut!, varOut!, channels, epsilon);
    const n = xs!.length / channels;
    const a = new Float64Array(channels);
    const b = new Float64Array(channels);
    // Per channel, strided, with the sums in registers (several times faster than accumulating
    // into an array indexed by channel).
    for (let c = 0; c < channels; c++) {
      // One pass: sums of x − x₀ and its square in double (shifted by the channel's first value, so
      // the difference of squares does not cancel).
      const shift = xs![c]!;
      let sum = 0;
      let sq = 0;
      for (let k = c; k < xs!.length; k += channels) {
        const d = xs![k]! - shift;
        sum += d;
        sq += d * d;
      }
      const mean = shift + sum / n;
      const centered = sum / n;
      const variance = Math.max(0, sq / n - centered * centered);
      meanOut![c] = mean;
      varOut![c] = variance;
      a[c] = scale![c]! / Math.sqrt(variance + epsilon);
      b[c] = offset![c]! - mean * a[c]!;
    }
    for (let k = 0; k < xs!.length; k += channels) {
      for (let c = 0; c < channels; c++) y![k + c] = xs![k + c]! * a[c]! + b[c]!;
    }
    // A channel with a non-finite value has NaN statistics: write a positive NaN there, as the
    // separate ops give. The product above keeps the input's NaN, which is negative when the CPU
    // made it, and the wasm ReLU (a sign test) turns a negative NaN into 0: a poisoned batch
    // would then train on zeros instead of stopping on a NaN loss.
    for (let c = 0; c < channels; c++) {
      if (Number.isNaN(a[c]!) || Number.isNaN(b[c]!)) for (let k = c; k < xs!.length; k += channels) y![k] = NaN;
    }
  });
}

/** Inputs [x, mean, variance, scale, dy] → [dx, dScale, dOffset]. */
function backward(backendName: FusedKernelBackend, args: FusedKernelArgs): tf.TensorInfo[] {
  const list = args.inputs as unknown as tf.TensorInfo[];
  const { epsilon } = args.attrs as unknown as BatchNormTrainAttrs;
  const x = list[0]!;
  const channels = x.shape[x.shape.length - 1]!;
  const perChannel = [channels];
  return floatKernelIO(backendName, args.backend).compute(list, [x.shape, perChannel, perChannel], ([xs, mean, variance, scale, dy], [dx, dScale, dOffset]) => {
    const native = nativeFloatOps();
    if (native !== undefined && xs!.length > 0) return native.bnBackward(xs!, mean!, variance!, scale!, dy!, dx!, dScale!, dOffset!, channels, epsilon);
    const n = xs!.length / channels;
    const g = new Float64Array(channels);
    const m = new Float64Array(channels);
    const meanDy = new Float64Array(channels);
    const meanDyXhat = new Float64Array(channels);
    for (let c = 0; c < channels; c++) {
      const r = 1 / Math.sqrt(variance![c]! + epsilon);
      const mc = mean![c]!;
      let sumDy = 0;
      let sumDyCentered = 0;
      for (let k = c; k < xs!.length; k += channels) {
        const d = dy![k]!;
        sumDy += d;
        sumDyCentered += d * (xs![k]! - mc);
      }
      const sumDyXhat = sumDyCentered * r;
      g[c] = scale![c]! * r;
      // xhat·meanDyXhat = (x − mean)·r·meanDyXhat: fold r in.
      m[c] = mc;
      meanDy[c] = sumDy / n;
      meanDyXhat[c] = (sumDyXhat / n) * r;
      dScale![c] = sumDyXhat;
      dOffset![c] = sumDy;
    }
    for (let k = 0; k < xs!.length; k += channels) {
      for (let c = 0; c < channels; c++) dx![k + c] = g[c]! * (dy![k + c]! - meanDy[c]! - (xs![k + c]! - m[c]!) * meanDyXhat[c]!);
    }
  });
}

/**
 * Inputs [movingMean, movingVariance, mean, variance] → [movingMean', movingVariance'], each
 * m' = m·(1 − momentum) + s·momentum with every product and the sum rounded to float32, as the
 * separate Multiply and Add kernels of the same formula round them (bit for bit).
 */
function movingMoments(backendName: FusedKernelBackend, args: FusedKernelArgs): tf.TensorInfo[] {
  const list = args.inputs as unknown as tf.TensorInfo[];
  const { momentum, varianceFactor } = args.attrs as unknown as MovingMomentsAttrs;
  const keep = Math.fround(1 - momentum);
  const take = Math.fround(momentum);
  const takeVariance = Math.fround(momentum * varianceFactor);
  const shape = list[0]!.shape;
  return floatKernelIO(backendName, args.backend).compute(list, [shape, shape], ([mm, mv, mean, variance], [outM, outV]) => {
    for (let c = 0; c < mm!.length; c++) {
      outM![c] = Math.fround(mm![c]! * keep) + Math.fround(mean![c]! * take);
      outV![c] = Math.fround(mv![c]! * keep) + Math.fround(variance![c]! * takeVariance);
    }
  });
}

export function batchNormTrainKernelConfigs(): tf.KernelConfig[] {
  return [
    ...fusedKernelConfigs(BATCH_NORM_TRAIN, forward),
    ...fusedKernelConfigs(BATCH_NORM_TRAIN_GRAD, backward),
    ...fusedKernelConfigs(MOVING_MOMENTS, movingMoments),
  ];
}

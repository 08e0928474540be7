/**
 * Gradients of Mean and Square as one kernel each (issue 9), bit for bit what tfjs-core's
 * gradients compute with several kernels (batch-norm moments use both in every training step):
 * - Mean: tfjs-core reshapes dy, multiplies it by a tensor of ones of x's shape and divides by
 *   the reduced size (4 kernels, two full-size temporaries); here dx = dy / n broadcast in one pass.
 * - Square: tfjs-core casts x, doubles it and multiplies by dy (3 kernels); here dx = dy·(2x).
 * Other backends and non-float32 inputs keep tfjs-core's gradients.
 */
import * as tf from '@tensorflow/tfjs-core';
import { hasFusedKernel } from './availability.js';
import { floatKernelIO, fusedKernelConfigs, type FusedKernelArgs, type FusedKernelBackend } from './kernel_io.js';

export const MEAN_GRAD = 'RvosMeanGrad';
export const SQUARE_GRAD = 'RvosSquareGrad';

interface MeanGradAttrs {
  xShape: number[];
  /** Reduced axes of x (normalised, ascending). */
  axes: number[];
}

/** Inputs [dy] (the mean's output, any shape with x's unreduced sizes) → dx of x's shape. */
function meanGrad(backendName: FusedKernelBackend, args: FusedKernelArgs): tf.TensorInfo {
  const [dyInfo] = args.inputs as unknown as tf.TensorInfo[];
  const { xShape, axes } = args.attrs as unknown as MeanGradAttrs;
  const reduced = new Set(axes);
  const n = Math.fround(axes.reduce((size, a) => size * xShape[a]!, 1));
  // dy's stride along each axis of x: 0 on reduced axes (dy is broadcast along them).
  const dyStrides = new Array<number>(xShape.length).fill(0);
  for (let a = xShape.length - 1, stride = 1; a >= 0; a--) {
    if (reduced.has(a)) continue;
    dyStrides[a] = stride;
    stride *= xShape[a]!;
  }
  const rank = xShape.length;
  const inner = rank === 0 ? 1 : xShape[rank - 1]!;
  const innerStep = rank === 0 ? 0 : dyStrides[rank - 1]!;
  const [out] = floatKernelIO(backendName, args.backend).compute([dyInfo!], [xShape], ([dy], [dx]) => {
    // One run along x's last axis per index of the other axes (an odometer), dy's offset kept up.
    const index = new Array<number>(Math.max(rank - 1, 0)).fill(0);
    let dyOffset = 0;
    for (let k = 0; k < dx!.length; k += inner) {
      for (let i = 0; i < inner; i++) dx![k + i] = dy![dyOffset + i * innerStep]! / n;
      for (let a = rank - 2; a >= 0; a--) {
        dyOffset += dyStrides[a]!;
        if (++index[a]! < xShape[a]!) break;
        dyOffset -= xShape[a]! * dyStrides[a]!;
        index[a] = 0;
      }
    }
  });
  return out!;
}

/** Inputs [x, dy] → dy·(2x). */
function squareGrad(backendName: FusedKernelBackend, args: FusedKernelArgs): tf.TensorInfo {
  const list = args.inputs as unknown as tf.TensorInfo[];
  const [out] = floatKernelIO(backendName, args.backend).compute(list, [list[0]!.shape], ([x, dy], [dx]) => {
    for (let k = 0; k < dx!.length; k++) dx![k] = dy![k]! * Math.fround(x![k]! * 2);
  });
  return out!;
}

export function broadcastGradKernelConfigs(): tf.KernelConfig[] {
  return [...fusedKernelConfigs(MEAN_GRAD, meanGrad), ...fusedKernelConfigs(SQUARE_GRAD, squareGrad)];
}

/**
 * `original` (a one-input op's tfjs-core gradient) with dx computed by `fusedDx` where the fused
 * kernel `fusedName` runs and x and dy are float32.
 */
function withFusedGradient(
  original: tf.GradConfig,
  kernelName: string,
  fusedName: string,
  fusedDx: (x: tf.Tensor, dy: tf.Tensor, attrs: tf.NamedAttrMap) => tf.Tensor,
): tf.GradConfig {
  return {
    ...original,
    kernelName,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const d = dy as tf.Tensor;
      if (!hasFusedKernel(fusedName) || x!.dtype !== 'float32' || d.dtype !== 'float32') return original.gradFunc(dy, saved, attrs);
      return { x: () => fusedDx(x!, d, attrs) };
    },
  };
}

/** tfjs-core's Mean gradient, with the fused kernel where it applies. */
export function meanGradConfig(original: tf.GradConfig): tf.GradConfig {
  return withFusedGradient(original, tf.Mean, MEAN_GRAD, (x, dy, attrs) => {
    const axes = [...new Set(tf.util.parseAxisParam((attrs as unknown as tf.MeanAttrs).axis, x.shape))].sort((a, b) => a - b);
    const kernelAttrs: MeanGradAttrs = { xShape: [...x.shape], axes };
    return tf.engine().runKernel(MEAN_GRAD, [dy] as unknown as tf.NamedTensorMap, kernelAttrs as unknown as tf.NamedAttrMap) as tf.Tensor;
  });
}

/** tfjs-core's Square gradient, with the fused kernel where it applies. */
export function squareGradConfig(original: tf.GradConfig): tf.GradConfig {
  return withFusedGradient(
    original,
    tf.Square,
    SQUARE_GRAD,
    (x, dy) => tf.engine().runKernel(SQUARE_GRAD, [x, dy] as unknown as tf.NamedTensorMap, {}) as tf.Tensor,
  );
}

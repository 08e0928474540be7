/**
 * Gradients of Mean, Max and Square as one kernel each (for speed), bit for bit what tfjs-core's
 * gradients compute with several kernels (batch-norm moments use Mean and Square in every
 * training step, the objectness head a spatial Max per slot and level):
 * - Mean: tfjs-core reshapes dy, multiplies it by a tensor of ones of x's shape and divides by
 *   the reduced size (4 kernels, two full-size temporaries); here dx = dy / n broadcast in one pass.
 * - Max: tfjs-core reshapes y and dy, then dy · cast(x == y) with both broadcast (5 kernels; the
 *   broadcasting Equal is the wasm backend's slow path, ~14% of a main-job step); here the same
 *   product, dy · (x == y ? 1 : 0), in one pass.
 * - Square: tfjs-core casts x, doubles it and multiplies by dy (3 kernels); here dx = dy·(2x).
 * - Relu: tfjs-core computes dy · cast(step(x)) (3 kernels); here the same product in one pass.
 * Other backends and non-float32 inputs keep tfjs-core's gradients. With the addon the loops run
 * in C++ (./native_ops.ts), the same operations: the same values bit for bit.
 */
import * as tf from '@tensorflow/tfjs-core';
import { hasFusedKernel } from './availability.js';
import { floatKernelIO, fusedKernelConfigs, type FusedKernelArgs, type FusedKernelBackend } from './kernel_io.js';
import { nativeFloatOps } from './native_ops.js';

export const MEAN_GRAD = 'RvosMeanGrad';
export const SQUARE_GRAD = 'RvosSquareGrad';
export const MAX_GRAD = 'RvosMaxGrad';
export const RELU_GRAD = 'RvosReluGrad';

interface ReductionGradAttrs {
  xShape: number[];
  /** Reduced axes of x (normalised, ascending). */
  axes: number[];
}

/**
 * Calls `run(k, offset, inner, step)` for each run of x's last axis: x's elements k..k+inner-1
 * pair with the reduced tensor's elements offset, offset+step, … (step 0 when the last axis is
 * reduced). The reduced tensor has x's unreduced sizes in x's order, with or without kept dims.
 */
function forEachBroadcastRun(xShape: number[], axes: number[], run: (k: number, offset: number, inner: number, step: number) => void): void {
  const reduced = new Set(axes);
  // The reduced tensor's stride along each axis of x: 0 on reduced axes (broadcast along them).
  const strides = new Array<number>(xShape.length).fill(0);
  for (let a = xShape.length - 1, stride = 1; a >= 0; a--) {
    if (reduced.has(a)) continue;
    strides[a] = stride;
    stride *= xShape[a]!;
  }
  const rank = xShape.length;
  const size = xShape.reduce((n, d) => n * d, 1);
  const inner = rank === 0 ? 1 : xShape[rank - 1]!;
  const step = rank === 0 ? 0 : strides[rank - 1]!;
  // An odometer over the other axes, the reduced tensor's offset kept up.
  const index = new Array<number>(Math.max(rank - 1, 0)).fill(0);
  let offset = 0;
  for (let k = 0; k < size; k += inner) {
    run(k, offset, inner, step);
    for (let a = rank - 2; a >= 0; a--) {
      offset += strides[a]!;
      if (++index[a]! < xShape[a]!) break;
      offset -= xShape[a]! * strides[a]!;
      index[a] = 0;
    }
  }
}

/** [rank, x's shape, the reduced tensor's stride per axis of x]: forEachBroadcastRun's geometry for the native kernels. */
function runGeometry(xShape: number[], axes: number[]): Float64Array {
  const rank = xShape.length;
  const geometry = new Float64Array(1 + 2 * rank);
  geometry[0] = rank;
  const reduced = new Set(axes);
  for (let a = rank - 1, stride = 1; a >= 0; a--) {
    geometry[1 + a] = xShape[a]!;
    if (reduced.has(a)) continue;
    geometry[1 + rank + a] = stride;
    stride *= xShape[a]!;
  }
  return geometry;
}

/** Inputs [dy] (the mean's output, any shape with x's unreduced sizes) → dx of x's shape. */
function meanGrad(backendName: FusedKernelBackend, args: FusedKernelArgs): tf.TensorInfo {
  const [dyInfo] = args.inputs as unknown as tf.TensorInfo[];
  const { xShape, axes } = args.attrs as unknown as ReductionGradAttrs;
  const n = Math.fround(axes.reduce((size, a) => size * xShape[a]!, 1));
  const [out] = floatKernelIO(backendName, args.backend).compute([dyInfo!], [xShape], ([dy], [dx]) => {
    const native = nativeFloatOps();
    if (native !== undefined) return native.meanGrad(dy!, dx!, n, runGeometry(xShape, axes));
    forEachBroadcastRun(xShape, axes, (k, offset, inner, step) => {
      for (let i = 0; i < inner; i++) dx![k + i] = dy![offset + i * step]! / n;
    });
  });
  return out!;
}

/** Inputs [x, y, dy] (y = max(x) over the axes; y and dy with x's unreduced sizes) → dx of x's shape. */
function maxGrad(backendName: FusedKernelBackend, args: FusedKernelArgs): tf.TensorInfo {
  const list = args.inputs as unknown as tf.TensorInfo[];
  const { xShape, axes } = args.attrs as unknown as ReductionGradAttrs;
  const [out] = floatKernelIO(backendName, args.backend).compute(list, [xShape], ([x, y, dy], [dx]) => {
    const native = nativeFloatOps();
    if (native !== undefined) return native.maxGrad(x!, y!, dy!, dx!, runGeometry(xShape, axes));
    forEachBroadcastRun(xShape, axes, (k, offset, inner, step) => {
      // dy times 1 or 0, as tfjs-core's product (a negative dy times 0 gives -0 there too).
      for (let i = 0; i < inner; i++) dx![k + i] = dy![offset + i * step]! * (x![k + i] === y![offset + i * step] ? 1 : 0);
    });
  });
  return out!;
}

/** Inputs [x, dy] → dy·(2x). */
function squareGrad(backendName: FusedKernelBackend, args: FusedKernelArgs): tf.TensorInfo {
  const list = args.inputs as unknown as tf.TensorInfo[];
  const [out] = floatKernelIO(backendName, args.backend).compute(list, [list[0]!.shape], ([x, dy], [dx]) => {
    const native = nativeFloatOps();
    if (native !== undefined) return native.squareGrad(x!, dy!, dx!);
    for (let k = 0; k < dx!.length; k++) dx![k] = dy![k]! * Math.fround(x![k]! * 2);
  });
  return out!;
}

/** Inputs [x, dy] → dy·step(x) (1 for x > 0, 0 else, NaN for NaN), the product as tfjs-core forms it (a negative dy times 0 gives -0). */
function reluGrad(backendName: FusedKernelBackend, args: FusedKernelArgs): tf.TensorInfo {
  const list = args.inputs as unknown as tf.TensorInfo[];
  const [out] = floatKernelIO(backendName, args.backend).compute(list, [list[0]!.shape], ([x, dy], [dx]) => {
    const native = nativeFloatOps();
    if (native !== undefined) return native.reluGrad(x!, dy!, dx!);
    for (let k = 0; k < dx!.length; k++) {
      const v = x![k]!;
      dx![k] = dy![k]! * (v > 0 ? 1 : v === v ? 0 : NaN);
    }
  });
  return out!;
}

export function broadcastGradKernelConfigs(): tf.KernelConfig[] {
  return [
    ...fusedKernelConfigs(MEAN_GRAD, meanGrad),
    ...fusedKernelConfigs(MAX_GRAD, maxGrad),
    ...fusedKernelConfigs(SQUARE_GRAD, squareGrad),
    ...fusedKernelConfigs(RELU_GRAD, reluGrad),
  ];
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
    const kernelAttrs: ReductionGradAttrs = { xShape: [...x.shape], axes };
    return tf.engine().runKernel(MEAN_GRAD, [dy] as unknown as tf.NamedTensorMap, kernelAttrs as unknown as tf.NamedAttrMap) as tf.Tensor;
  });
}

/** tfjs-core's Max gradient, with the fused kernel where it applies. */
export function maxGradConfig(original: tf.GradConfig): tf.GradConfig {
  return {
    ...original,
    kernelName: tf.Max,
    inputsToSave: ['x'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, y] = saved;
      const d = dy as tf.Tensor;
      if (!hasFusedKernel(MAX_GRAD) || [x, y, d].some((t) => t!.dtype !== 'float32')) return original.gradFunc(dy, saved, attrs);
      const axes = [...new Set(tf.util.parseAxisParam((attrs as unknown as tf.MaxAttrs).reductionIndices, x!.shape))].sort((a, b) => a - b);
      const kernelAttrs: ReductionGradAttrs = { xShape: [...x!.shape], axes };
      return { x: () => tf.engine().runKernel(MAX_GRAD, [x!, y!, d] as unknown as tf.NamedTensorMap, kernelAttrs as unknown as tf.NamedAttrMap) as tf.Tensor };
    },
  };
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

/** tfjs-core's Relu gradient, with the fused kernel where it applies. */
export function reluGradConfig(original: tf.GradConfig): tf.GradConfig {
  return withFusedGradient(original, tf.Relu, RELU_GRAD, (x, dy) => tf.engine().runKernel(RELU_GRAD, [x, dy] as unknown as tf.NamedTensorMap, {}) as tf.Tensor);
}

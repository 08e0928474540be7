/**
 * The gradient of a 2-D convolution (with or without a bias, no activation) as one kernel: the
 * input gradient, the filter gradient and the bias gradient (dy summed over batch, height and
 * width) by the backend's own Conv2DBackpropInput, Conv2DBackpropFilter and Sum kernel functions,
 * called directly (a training-speed measure). tfjs-core's fused conv2d runs these as three or four
 * engine calls (and a Reshape); the kernels and attributes here are the ones those calls pass, so
 * the values are the same bit for bit. The op is src/layers/conv2d.ts.
 *
 * Inputs [x, filter, dy] → [dx, dfilter, dbias?].
 *
 * The resizing variant: RvosResizeConv2D resizes x bilinearly with aligned corners first (the
 * decoder head's ×2 upsampling) and convolves, by the backend's ResizeBilinear and FusedConv2D
 * kernels, inputs [x, filter, bias?] → [y, resized x]; its gradient is this kernel with `resize`
 * set, inputs [resized x, filter, x, dy], ending with the backend's ResizeBilinearGrad. The
 * attributes are those tf.image.resizeBilinear(x, size, true), tf.fused.conv2d and their
 * gradients pass, so again the values are the same bit for bit.
 */
import * as tf from '@tensorflow/tfjs-core';
import { backendKernel, fusedKernelConfigs, type FusedKernelArgs, type FusedKernelBackend } from './kernel_io.js';

export const CONV2D_GRAD = 'RvosConv2DGrad';
export const RESIZE_CONV2D = 'RvosResizeConv2D';

export interface Conv2DGradAttrs {
  strides: number | [number, number];
  pad: 'same' | 'valid' | number;
  /** Whether to return the bias gradient too. */
  hasBias: boolean;
  /** The resizing variant: x's [height, width] after its bilinear (align corners) resize. */
  resize?: [number, number];
}

/** RvosResizeConv2D's attributes: FusedConv2D's (no activation) and the size. */
export interface ResizeConv2DAttrs {
  strides: number | [number, number];
  pad: 'same' | 'valid' | number;
  size: [number, number];
}

/** What tf.image.resizeBilinear(x, size, true) passes its kernel, and its gradient its own. */
function resizeAttrs(size: [number, number]): object {
  return { alignCorners: true, halfPixelCenters: false, size };
}

function call(backendName: FusedKernelBackend, backend: tf.KernelBackend, name: string, inputs: object, attrs: object): tf.TensorInfo {
  return backendKernel(backendName, name).kernelFunc({
    inputs: inputs as tf.NamedTensorInfoMap,
    backend,
    attrs: attrs as unknown as tf.NamedAttrMap,
  }) as tf.TensorInfo;
}

function resizeConv2d(backendName: FusedKernelBackend, args: FusedKernelArgs): tf.TensorInfo[] {
  const [x, filter, bias] = args.inputs as unknown as tf.TensorInfo[];
  const { strides, pad, size } = args.attrs as unknown as ResizeConv2DAttrs;
  const up = call(backendName, args.backend, tf.ResizeBilinear, { images: x }, resizeAttrs(size));
  const conv = { strides, pad, dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined, activation: 'linear', leakyreluAlpha: undefined };
  const y = call(backendName, args.backend, tf.FusedConv2D, { x: up, filter, bias }, conv);
  return [y, up];
}

function kernel(backendName: FusedKernelBackend, args: FusedKernelArgs): tf.TensorInfo[] {
  const list = args.inputs as unknown as tf.TensorInfo[];
  const { strides, pad, hasBias, resize } = args.attrs as unknown as Conv2DGradAttrs;
  const [x, filter] = list;
  const images = resize === undefined ? null : list[2]!;
  const dy = list[list.length - 1]!;
  const backend = args.backend;
  const common = { strides, pad, dataFormat: 'NHWC', dimRoundingMode: undefined };
  let dx = call(backendName, backend, tf.Conv2DBackpropInput, { dy, filter }, { ...common, inputShape: x!.shape });
  const dFilter = call(backendName, backend, tf.Conv2DBackpropFilter, { x, dy }, { ...common, filterShape: filter!.shape });
  const dBias = hasBias ? [call(backendName, backend, tf.Sum, { x: dy }, { axis: [0, 1, 2], keepDims: false })] : [];
  if (images !== null) {
    const dResized = dx;
    dx = call(backendName, backend, tf.ResizeBilinearGrad, { images, dy: dResized }, resizeAttrs(resize!));
    backend.disposeData(dResized.dataId);
  }
  return [dx, dFilter, ...dBias];
}

export function conv2dGradKernelConfigs(): tf.KernelConfig[] {
  return [...fusedKernelConfigs(CONV2D_GRAD, kernel), ...fusedKernelConfigs(RESIZE_CONV2D, resizeConv2d)];
}

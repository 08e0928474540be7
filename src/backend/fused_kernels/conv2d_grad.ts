/**
 * The gradient of a 2-D convolution (with or without a bias, no activation) as one kernel: the
 * input gradient, the filter gradient and the bias gradient (dy summed over batch, height and
 * width) by the backend's own Conv2DBackpropInput, Conv2DBackpropFilter and Sum kernel functions,
 * called directly (a training-speed measure). tfjs-core's fused conv2d runs these as three or four
 * engine calls (and a Reshape); the kernels and attributes here are the ones those calls pass, so
 * the values are the same bit for bit. The op is src/layers/conv2d.ts.
 *
 * Inputs [x, filter, dy] → [dx, dfilter, dbias?].
 */
import * as tf from '@tensorflow/tfjs-core';
import { backendKernel, fusedKernelConfigs, type FusedKernelArgs, type FusedKernelBackend } from './kernel_io.js';

export const CONV2D_GRAD = 'RvosConv2DGrad';

export interface Conv2DGradAttrs {
  strides: number | [number, number];
  pad: 'same' | 'valid' | number;
  /** Whether to return the bias gradient too. */
  hasBias: boolean;
}

function kernel(backendName: FusedKernelBackend, args: FusedKernelArgs): tf.TensorInfo[] {
  const [x, filter, dy] = args.inputs as unknown as tf.TensorInfo[];
  const { strides, pad, hasBias } = args.attrs as unknown as Conv2DGradAttrs;
  const backend = args.backend;
  const call = (name: string, inputs: object, attrs: object): tf.TensorInfo =>
    backendKernel(backendName, name).kernelFunc({
      inputs: inputs as tf.NamedTensorInfoMap,
      backend,
      attrs: attrs as unknown as tf.NamedAttrMap,
    }) as tf.TensorInfo;
  const common = { strides, pad, dataFormat: 'NHWC', dimRoundingMode: undefined };
  const dx = call(tf.Conv2DBackpropInput, { dy, filter }, { ...common, inputShape: x!.shape });
  const dFilter = call(tf.Conv2DBackpropFilter, { x, dy }, { ...common, filterShape: filter!.shape });
  if (!hasBias) return [dx, dFilter];
  return [dx, dFilter, call(tf.Sum, { x: dy }, { axis: [0, 1, 2], keepDims: false })];
}

export function conv2dGradKernelConfigs(): tf.KernelConfig[] {
  return fusedKernelConfigs(CONV2D_GRAD, kernel);
}

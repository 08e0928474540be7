/**
 * Registers the project's training kernels for the wasm backend: the convolution gradients the
 * backend lacks (or runs as a naive loop), each expressed through XNNPACK forward convolutions.
 * Every other kernel a training step of this project's networks needs is present upstream and
 * checked against the cpu backend by tests/backend/op_gradients.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { conv2dBackpropFilterConfig, conv2dBackpropInputConfig } from './conv2d_backprop.js';
import { depthwiseBackpropFilterConfig, depthwiseBackpropInputConfig } from './depthwise_backprop.js';

/** The kernels this module registers (for tests and diagnostics). */
export const WASM_TRAINING_KERNELS: readonly tf.KernelConfig[] = [
  conv2dBackpropFilterConfig,
  conv2dBackpropInputConfig,
  depthwiseBackpropFilterConfig,
  depthwiseBackpropInputConfig,
];

let registered = false;

/** Registers (once per process) the wasm training kernels, replacing built-in versions. */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  for (const config of WASM_TRAINING_KERNELS) {
    const existing = tf.getKernel(config.kernelName, 'wasm');
    if (existing !== undefined && existing.kernelFunc === config.kernelFunc) continue;
    if (existing !== undefined) tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel(config);
  }
  registered = true;
}

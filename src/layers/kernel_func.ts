/**
 * tfjs-core's engine entry for an op made of kernels with a custom gradient and several outputs
 * (tf.customGrad insists on one output). Private in tfjs-core's typings, public at run time (4.22).
 */
import * as tf from '@tensorflow/tfjs-core';

export interface KernelFuncParams {
  forwardFunc: (backend: tf.KernelBackend, save: tf.GradSaveFunc) => tf.Tensor[];
  backwardsFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => Record<string, () => tf.Tensor>;
  inputs: tf.NamedTensorMap;
}

interface KernelFuncEngine {
  runKernelFunc(params: KernelFuncParams): tf.Tensor[];
}

/** Runs `forwardFunc` as one node of the gradient tape whose gradient is `backwardsFunc`. */
export function runKernelFunc(params: KernelFuncParams): tf.Tensor[] {
  return (tf.engine() as unknown as KernelFuncEngine).runKernelFunc(params);
}

/** A tensor list as the engine's named inputs ('0', '1', …). */
export function namedInputs(inputs: tf.Tensor[]): tf.NamedTensorMap {
  return Object.fromEntries(inputs.map((t, i) => [String(i), t]));
}

/**
 * Whether the fused kernels are used: registered for the current backend and not switched off.
 * The switch exists so that benchmarks can measure the unfused ops in the same process
 * (bench/speed.ts "before") and tests can compare the two.
 */
import * as tf from '@tensorflow/tfjs-core';

let enabled = true;

/** Whether the current backend runs `kernelName` and fused kernels are on (false before any backend is set). */
export function hasFusedKernel(kernelName: string): boolean {
  return enabled && tf.getKernel(kernelName, tf.getBackend()) !== undefined;
}

/** Switches the fused kernels on or off; returns the previous setting. */
export function setFusedKernelsEnabled(on: boolean): boolean {
  const previous = enabled;
  enabled = on;
  return previous;
}

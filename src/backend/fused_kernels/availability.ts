/**
 * Whether the fused kernels are used: registered for the current backend and not switched off.
 * The switch exists so that benchmarks can measure the unfused ops in the same process
 * (bench/speed.ts "before") and tests can compare the two.
 */
import * as tf from '@tensorflow/tfjs-core';

let enabled = true;
const disabled = new Set<string>();

/** Whether the current backend runs `kernelName` and fused kernels are on (false before any backend is set). */
export function hasFusedKernel(kernelName: string): boolean {
  return enabled && !disabled.has(kernelName) && tf.getKernel(kernelName, tf.getBackend()) !== undefined;
}

/** Switches single fused kernels off (`off` true) or back on, e.g. to count a step's kernels without them. */
export function setFusedKernelsDisabled(kernelNames: readonly string[], off: boolean): void {
  for (const name of kernelNames) {
    if (off) disabled.add(name);
    else disabled.delete(name);
  }
}

/** Switches the fused kernels on or off; returns the previous setting. */
export function setFusedKernelsEnabled(on: boolean): boolean {
  const previous = enabled;
  enabled = on;
  return previous;
}

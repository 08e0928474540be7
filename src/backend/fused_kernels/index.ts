/**
 * Fused kernels (issue 9) for the wasm and cpu backends: ops that ran as many small kernels, each
 * paying the engine's per-call overhead (~20 µs on wasm, most of a light training step), run as
 * one kernel written in TypeScript over the backend's float32 data. Ops that use them
 * (src/layers/lstm_gates.ts, src/train/adam.ts) check `hasFusedKernel` and keep the unfused
 * formula for other backends (tensorflow).
 */
import * as tf from '@tensorflow/tfjs-core';
import { adamUpdateKernelConfigs, sumOfSquaresKernelConfigs } from './adam_update.js';
import { lstmGatesGradConfig, lstmGatesKernelConfigs } from './lstm_gates.js';

let registered = false;

/** Registers (once per process) the fused kernels and their gradients; touches no backend. */
export function registerFusedKernels(): void {
  if (registered) return;
  for (const config of [...lstmGatesKernelConfigs(), ...adamUpdateKernelConfigs(), ...sumOfSquaresKernelConfigs()]) {
    if (tf.getKernel(config.kernelName, config.backendName) !== undefined) tf.unregisterKernel(config.kernelName, config.backendName);
    tf.registerKernel(config);
  }
  tf.registerGradient(lstmGatesGradConfig);
  registered = true;
}

/** Whether the current backend runs `kernelName` (false before any backend is set). */
export function hasFusedKernel(kernelName: string): boolean {
  return tf.getKernel(kernelName, tf.getBackend()) !== undefined;
}

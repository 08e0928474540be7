/**
 * Fused kernels (a training-speed measure) for the wasm and cpu backends: ops that ran as many small kernels, each
 * paying the engine's per-call overhead (tape, scopes, saved-tensor clones: a few µs when warm)
 * and a temporary per step, run as one kernel written in TypeScript over the backend's float32
 * data. TypeScript loops are 5–8x slower per element than wasm SIMD, so a fused kernel pays where
 * it replaces many passes (batch-norm gradient) or many calls on small tensors (Adam on small
 * variables, the light model's gates), and elementwise work on large tensors stays in the
 * backend's own kernels (./kernel_io.ts). Ops that use them
 * (src/layers/lstm_gates.ts, src/train/adam.ts) check `hasFusedKernel` and keep the unfused
 * formula for other backends (tensorflow); the gradients of FusedBatchNorm, Mean, Max, Square and Relu are
 * replaced by ones that use a fused kernel on wasm and cpu and tfjs-core's elsewhere.
 */
import * as tf from '@tensorflow/tfjs-core';
import { adamUpdateKernelConfigs, sumOfSquaresKernelConfigs } from './adam_update.js';
import { bceMeanKernelConfigs } from './bce_mean.js';
import { batchNormGradConfig, batchNormGradKernelConfigs } from './batch_norm_grad.js';
import { batchNormTrainKernelConfigs } from './batch_norm_train.js';
import { broadcastGradKernelConfigs, maxGradConfig, meanGradConfig, reluGradConfig, squareGradConfig } from './broadcast_grads.js';
import { conv2dGradKernelConfigs } from './conv2d_grad.js';
import { convLstmStepKernelConfigs } from './conv_lstm_step.js';
import { lstmGatesKernelConfigs } from './lstm_gates.js';
import { normalizeInputKernelConfigs } from './normalize_input.js';
import { softIoUMeanKernelConfigs } from './soft_iou_mean.js';

export { hasFusedKernel, setFusedKernelsDisabled, setFusedKernelsEnabled } from './availability.js';

let registered = false;
/** tfjs-core's gradient configs this module replaced, by kernel name (tests compare against them). */
const originals = new Map<string, tf.GradConfig>();

/** Registers (once per process) the fused kernels and gradient replacements; touches no backend. */
export function registerFusedKernels(): void {
  if (registered) return;
  const kernels = [
    ...lstmGatesKernelConfigs(),
    ...convLstmStepKernelConfigs(),
    ...conv2dGradKernelConfigs(),
    ...adamUpdateKernelConfigs(),
    ...sumOfSquaresKernelConfigs(),
    ...batchNormGradKernelConfigs(),
    ...batchNormTrainKernelConfigs(),
    ...broadcastGradKernelConfigs(),
    ...normalizeInputKernelConfigs(),
    ...softIoUMeanKernelConfigs(),
    ...bceMeanKernelConfigs(),
  ];
  for (const config of kernels) {
    if (tf.getKernel(config.kernelName, config.backendName) !== undefined) tf.unregisterKernel(config.kernelName, config.backendName);
    tf.registerKernel(config);
  }
  // tfjs-core's gradients of built-in ops, fused where the backend has the kernel. They are
  // registered by tfjs-layers' import (src/backend/index.ts); each replacement falls back to the
  // original for other backends and cases.
  const replacements: [string, (original: tf.GradConfig) => tf.GradConfig][] = [
    [tf.FusedBatchNorm, batchNormGradConfig],
    [tf.Mean, meanGradConfig],
    [tf.Max, maxGradConfig],
    [tf.Square, squareGradConfig],
    [tf.Relu, reluGradConfig],
  ];
  for (const [kernelName, replace] of replacements) {
    const original = tf.getGradient(kernelName);
    if (original === undefined) continue;
    originals.set(kernelName, original);
    tf.registerGradient(replace(original));
  }
  registered = true;
}

/** tfjs-core's own gradient for a kernel whose gradient was replaced here (else undefined). */
export function originalGradient(kernelName: string): tf.GradConfig | undefined {
  return originals.get(kernelName);
}

/**
 * Registers the project's training kernels for the wasm backend (tfjs-backend-wasm 4.22):
 * - the convolution gradients it lacks or runs as a naive loop, each expressed through XNNPACK
 *   forward convolutions (Conv2DBackpropFilter/Input, DepthwiseConv2dNativeBackpropFilter/Input);
 * - replacements for built-in gradient kernels that give wrong results (MaxPoolGrad; the
 *   halfPixelCenters case of ResizeBilinearGrad);
 * - faster versions of built-in kernels a training step leans on (Tile by block copies, Identity
 *   without a copy, Slice/SplitV/Unpack/Concat/Pack as memmoves: ./fast_tile.ts,
 *   ./shared_identity.ts, ./fast_copies.ts; switches in ./kernel_options.ts), and Add, Sub and
 *   Multiply of same-shape float32 tensors and Sum, Mean and Max over inner axes by the addon
 *   when it is built (./native_binary.ts, ./native_reduce.ts);
 * - and, for the cpu fallback, a fix for cpu ResizeBilinearGrad's output shape (non-square).
 * Every other kernel a training step needs exists upstream and is checked against the cpu
 * backend by tests/backend/op_gradients.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { conv2dBackpropFilterConfig, conv2dBackpropInputConfig } from './conv2d_backprop.js';
import { depthwiseBackpropFilterConfig, depthwiseBackpropInputConfig } from './depthwise_backprop.js';
import { registerCpuResizeBilinearGradFix } from './cpu_resize_bilinear_grad_fix.js';
import { fastConcatConfig, fastPackConfig, fastSliceConfig, fastSplitVConfig, fastUnpackConfig } from './fast_copies.js';
import { fastTileConfig } from './fast_tile.js';
import { maxPoolGradConfig } from './max_pool_grad.js';
import { nativeBinaryConfig } from './native_binary.js';
import { nativeReduceConfig } from './native_reduce.js';
import { nativeTanhConfig } from './native_tanh.js';
import { sharedIdentityConfig } from './shared_identity.js';
import { resizeBilinearGradConfig } from './resize_bilinear_grad.js';

/** The kernel names this module registers for 'wasm'. */
export const WASM_TRAINING_KERNEL_NAMES: readonly string[] = [
  tf.Conv2DBackpropFilter,
  tf.Conv2DBackpropInput,
  tf.DepthwiseConv2dNativeBackpropFilter,
  tf.DepthwiseConv2dNativeBackpropInput,
  tf.MaxPoolGrad,
  tf.ResizeBilinearGrad,
  tf.Tile,
  tf.Identity,
  tf.Slice,
  tf.SplitV,
  tf.Unpack,
  tf.Concat,
  tf.Pack,
  tf.Add,
  tf.Sub,
  tf.Multiply,
  tf.Sum,
  tf.Mean,
  tf.Max,
  tf.Tanh,
];

let registered: tf.KernelConfig[] | undefined;

/**
 * Registers (once per process) the wasm training kernels, replacing built-in versions, and the
 * cpu ResizeBilinearGrad fix; returns the wasm configs now registered. Registering does not
 * initialise any backend, so it is harmless when another backend ends up running.
 */
export function registerWasmTrainingKernels(): readonly tf.KernelConfig[] {
  if (registered !== undefined) return registered;
  registerCpuResizeBilinearGradFix();
  const configs = [
    conv2dBackpropFilterConfig,
    conv2dBackpropInputConfig,
    depthwiseBackpropFilterConfig,
    depthwiseBackpropInputConfig,
    maxPoolGradConfig,
    resizeBilinearGradConfig(tf.getKernel(tf.ResizeBilinearGrad, 'wasm')),
    fastTileConfig(tf.getKernel(tf.Tile, 'wasm')),
    sharedIdentityConfig(tf.getKernel(tf.Identity, 'wasm')),
    fastSliceConfig(tf.getKernel(tf.Slice, 'wasm')),
    fastSplitVConfig(tf.getKernel(tf.SplitV, 'wasm')),
    fastUnpackConfig(tf.getKernel(tf.Unpack, 'wasm')),
    fastConcatConfig(tf.getKernel(tf.Concat, 'wasm')),
    fastPackConfig(tf.getKernel(tf.Pack, 'wasm')),
    ...[tf.Add, tf.Sub, tf.Multiply].map((name) => nativeBinaryConfig(name, tf.getKernel(name, 'wasm'))),
    ...[tf.Sum, tf.Mean, tf.Max].map((name) => nativeReduceConfig(name, tf.getKernel(name, 'wasm'))),
    nativeTanhConfig(tf.getKernel(tf.Tanh, 'wasm')),
  ];
  for (const config of configs) {
    if (tf.getKernel(config.kernelName, 'wasm') !== undefined) tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel(config);
  }
  registered = configs;
  return configs;
}

/**
 * Identity for the wasm backend without a copy. The built-in kernel (4.22) copies the data, and
 * the engine clones every tensor it saves for back-propagation (engine.saveTensorsForBackwardMode),
 * so a training step copied every saved activation and weight (4,560 copies per RVOS-small step)
 * and each backward convolution saw a fresh filter dataId. tfjs data is immutable, so sharing
 * the dataId with one more reference is what the cpu and webgl backends already do.
 */
import * as tf from '@tensorflow/tfjs-core';
import { wasmKernelOptions } from './kernel_options.js';
import { internals } from './wasm_heap.js';

export function sharedIdentityConfig(builtIn: tf.KernelConfig | undefined): tf.KernelConfig {
  return {
    kernelName: tf.Identity,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const { inputs, backend } = args as { inputs: { x: tf.TensorInfo }; backend: tf.KernelBackend };
      const { x } = inputs;
      if ((!wasmKernelOptions().shareIdentity || x.dtype === 'string') && builtIn !== undefined) return builtIn.kernelFunc(args);
      internals(backend).incRef(x.dataId);
      return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
    },
  };
}

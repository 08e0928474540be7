/**
 * What the addon's heap kernels on 'wasm' share (native_binary.ts, native_reduce.ts): the parts of
 * the backend they read, and the kernel config that runs the addon where it applies and the
 * built-in kernel otherwise.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The parts of tfjs-backend-wasm's BackendWasm the heap kernels read: the heap and tensors' byte offsets on it. */
export interface HeapBackend {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(dataId: tf.DataId): { memoryOffset: number } };
}

export type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap };

/**
 * `kernelName` on 'wasm': `tryNative` (the addon), or, where it returns null (a case it does not
 * handle, or no addon), the built-in kernel.
 */
export function withNativeFallback(
  kernelName: string,
  builtIn: tf.KernelConfig | undefined,
  tryNative: (kernelName: string, args: KernelArgs) => tf.TensorInfo | null,
): tf.KernelConfig {
  if (builtIn === undefined) throw new Error(`wasm backend has no ${kernelName} kernel`);
  return {
    kernelName,
    backendName: 'wasm',
    setupFunc: builtIn.setupFunc,
    kernelFunc: ((args: KernelArgs) =>
      tryNative(kernelName, args) ?? builtIn.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0])) as unknown as tf.KernelFunc,
  };
}

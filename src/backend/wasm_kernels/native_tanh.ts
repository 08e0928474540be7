/**
 * Tanh of float32 tensors on the wasm backend by the addon (../fused_kernels/native_ops.ts,
 * `tanhHeap`). The built-in kernel is a scalar loop over the wasm libc's tanhf, 1-2 ulp from the
 * correctly rounded value on about a tenth of inputs, and was ~9% of a main-job training step;
 * the addon's tanh works in double and rounds once, ~10x faster. Its values are not the built-in
 * kernel's (within 2 ulp of them, and the correctly rounded value but for inputs whose tanh lies
 * within ~1e-14 of a float rounding boundary: docs/speed.md, "tanh and ResizeBilinearGrad in C++"); the ConvLSTM gates' fused forward
 * uses the same function on wasm, so the fused and unfused graphs still agree bit for bit. Other
 * dtypes and no addon run the built-in kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { nativeFloatOps } from '../fused_kernels/native_ops.js';
import { type HeapBackend, type KernelArgs, withNativeFallback } from './native_fallback.js';
import { internals } from './wasm_heap.js';

/** [xOff, outOff, n], reused. */
const params = new Float64Array(3);

function nativeTanh(_kernelName: string, { inputs, backend }: KernelArgs): tf.TensorInfo | null {
  const native = nativeFloatOps();
  const x = inputs.x!;
  if (native === undefined || x.dtype !== 'float32') return null;
  const out = internals(backend).makeOutput([...x.shape], 'float32');
  const n = tf.util.sizeFromShape(x.shape);
  if (n === 0) return out;
  const heap = backend as unknown as HeapBackend;
  params[0] = heap.dataIdMap.get(x.dataId).memoryOffset;
  params[1] = heap.dataIdMap.get(out.dataId).memoryOffset;
  params[2] = n;
  native.tanhHeap(heap.wasm.HEAPU8, params);
  return out;
}

/** Tanh on 'wasm': natively with the addon, else the built-in kernel. */
export function nativeTanhConfig(builtIn: tf.KernelConfig | undefined): tf.KernelConfig {
  return withNativeFallback(tf.Tanh, builtIn, nativeTanh);
}

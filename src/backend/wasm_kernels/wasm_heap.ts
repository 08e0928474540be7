/**
 * Direct access to the wasm backend's heap for kernels written in TypeScript: float32 views of a
 * tensor's storage (no copy) and fresh outputs to fill in place. A view is valid only until the
 * next allocation (the heap may grow and move), so take views after every makeOutput.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The parts of tfjs-backend-wasm's BackendWasm these kernels use (4.22). */
export interface WasmBackendInternals {
  dataIdMap: { has(dataId: tf.DataId): boolean };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
  incRef(dataId: tf.DataId): void;
}

export function internals(backend: tf.KernelBackend): WasmBackendInternals {
  return backend as unknown as WasmBackendInternals;
}

/** A float32 view of `info`'s data on the heap (no copy). */
export function heapF32(backend: tf.KernelBackend, info: tf.TensorInfo): Float32Array {
  if (info.dtype !== 'float32') throw new Error(`wasm kernel: expected float32 data, got ${info.dtype}`);
  return internals(backend).typedArrayFromHeap(info) as Float32Array;
}

/** A new, uninitialised float32 output of `shape` on the heap. */
export function makeHeapOutput(backend: tf.KernelBackend, shape: number[]): tf.TensorInfo {
  return internals(backend).makeOutput(shape, 'float32');
}

/** Wraps backend data as an engine-tracked Tensor holding its own reference (dispose releases it). */
export function tensorOf(backend: tf.KernelBackend, info: tf.TensorInfo): tf.Tensor {
  internals(backend).incRef(info.dataId);
  return tf.engine().makeTensorFromTensorInfo(info, backend);
}

/** Adopts a fresh kernel output (reference count 1) as an engine-tracked Tensor. */
export function adoptOutput(backend: tf.KernelBackend, info: tf.TensorInfo): tf.Tensor {
  return tf.engine().makeTensorFromTensorInfo(info, backend);
}

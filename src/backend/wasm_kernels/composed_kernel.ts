/**
 * Running tfjs ops inside a kernel: a kernel receives bare TensorInfos owned by its caller. To
 * compute with ops we wrap them as Tensors, and each wrapper must hold its own reference
 * (backend.incRef) first, or disposing the wrapper frees the caller's data.
 */
import * as tf from '@tensorflow/tfjs-core';

/** What a composed kernel needs from the backend: the reference counting. */
export interface RefCountingBackend {
  incRef(dataId: tf.DataId): void;
}

/** The wasm backend's way to make a kernel output from host values. */
interface WasmOutputMaker {
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: tf.backend_util.BackendValues): tf.TensorInfo;
}

/** Hands a host array to the wasm backend as a new kernel output (copied into the wasm heap). */
export function outputFromHost(backend: tf.KernelBackend, shape: number[], values: Float32Array): tf.TensorInfo {
  return (backend as unknown as WasmOutputMaker).makeOutput(shape, 'float32', undefined, values);
}

/** Wraps a kernel input as a Tensor that holds its own reference to the data. */
function wrapInput(backend: tf.KernelBackend, info: tf.TensorInfo): tf.Tensor {
  (backend as unknown as RefCountingBackend).incRef(info.dataId);
  return tf.engine().makeTensorFromTensorInfo(info, backend);
}

/**
 * Runs `compute` on Tensor views of the kernel's inputs inside a tidy scope and returns its
 * result as the kernel output; every intermediate and every wrapper is released.
 */
export function runComposed<K extends string>(
  backend: tf.KernelBackend,
  inputs: Record<K, tf.TensorInfo>,
  compute: (tensors: Record<K, tf.Tensor>) => tf.Tensor,
): tf.Tensor {
  return tf.tidy(() => {
    const tensors = {} as Record<K, tf.Tensor>;
    for (const key of Object.keys(inputs) as K[]) tensors[key] = wrapInput(backend, inputs[key]);
    return compute(tensors);
  });
}
